package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func TestScheduleCommand(t *testing.T) {
	tests := []struct {
		args     []string
		code     int
		out, err string
	}{
		{[]string{"schedule", "--ttl", "14400"}, 0, "0 0 */3 * * *\n", ""},
		{[]string{"schedule", "--ttl", "3600"}, 0, "0 */30 * * * *\n", ""},
		{[]string{"schedule", "--ttl", "172800"}, 0, "0 0 0 * * *\n", ""},
		{[]string{"schedule", "--ttl", "60"}, 2, "", "too short"},
		{[]string{"schedule"}, 2, "", "usage"},
		{[]string{"schedule", "--ttl", "x"}, 2, "", "invalid value"},
		{[]string{"nonsense"}, 2, "", "unknown command"},
		{[]string{"version"}, 0, "handler ", ""},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			var out, errb bytes.Buffer
			code := run(context.Background(), tt.args, &out, &errb)
			if code != tt.code {
				t.Fatalf("exit = %d, want %d (stderr %q)", code, tt.code, errb.String())
			}
			if tt.out != "" && !strings.HasPrefix(out.String(), tt.out) {
				t.Errorf("stdout = %q, want prefix %q", out.String(), tt.out)
			}
			if tt.err != "" && !strings.Contains(errb.String(), tt.err) {
				t.Errorf("stderr = %q, want it to contain %q", errb.String(), tt.err)
			}
		})
	}
}

// TestServeFailsFastWithoutPort: the handler refuses to start without a
// usable FUNCTIONS_CUSTOMHANDLER_PORT and says which setting to fix.
func TestServeFailsFastWithoutPort(t *testing.T) {
	for _, port := range []string{"", "http", "99999"} {
		t.Run("port="+port, func(t *testing.T) {
			t.Setenv("FUNCTIONS_CUSTOMHANDLER_PORT", port)
			var out, errb bytes.Buffer
			if code := run(context.Background(), nil, &out, &errb); code != 2 {
				t.Fatalf("exit = %d, want 2", code)
			}
			if !strings.Contains(errb.String(), "FUNCTIONS_CUSTOMHANDLER_PORT") {
				t.Errorf("stderr = %q, want it to name FUNCTIONS_CUSTOMHANDLER_PORT", errb.String())
			}
		})
	}
}
