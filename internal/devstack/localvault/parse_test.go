package localvault

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azsecrets"
)

func TestParseSet(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		wantErr string
	}{
		{"value only", `{"value":"x"}`, ""},
		{"full", `{"value":"x","contentType":"text/plain","attributes":{"enabled":true,"nbf":1,"exp":2},"tags":{"a":"b"}}`, ""},
		{"empty value allowed", `{"value":""}`, ""},
		{"no value", `{"contentType":"x"}`, "value is required"},
		{"not json", `{value`, "not valid JSON"},
		{"too large", `{"value":"` + strings.Repeat("a", maxValueBytes+1) + `"}`, "limit"},
		{"bad attribute type", `{"value":"x","attributes":{"exp":"soon"}}`, "not valid JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseSet([]byte(tt.body))
			if (tt.wantErr == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tt.wantErr)) {
				t.Errorf("parseSet = %v, want %q", err, tt.wantErr)
			}
		})
	}
}

func FuzzParseSet(f *testing.F) {
	f.Add([]byte(`{"value":"x","contentType":"text/plain","attributes":{"enabled":true,"nbf":1,"exp":2},"tags":{"a":"b"}}`))
	f.Add([]byte(`{"value":null}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := parseSet(b)
		if err == nil && (p.Value == nil || len(*p.Value) > maxValueBytes || len(p.Tags) > 15) {
			t.Fatalf("accepted %q", b)
		}
	})
}

func FuzzParseUpdate(f *testing.F) {
	f.Add([]byte(`{"attributes":{"enabled":false},"tags":{"state":"revoked"}}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := parseUpdate(b)
		if err == nil && len(p.Tags) > 15 {
			t.Fatalf("accepted %d tags", len(p.Tags))
		}
	})
}

func TestListPaging(t *testing.T) {
	e := startEnv(t, "")
	ctx := context.Background()
	w := e.client(t, e.writer, nil)
	var want []string
	for i := 0; i < 5; i++ {
		r, err := w.SetSecret(ctx, "paged", azsecrets.SetSecretParameters{Value: to.Ptr("v")}, nil)
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, r.ID.Version())
	}
	tok, _, err := e.tenant.Issue(e.writer, Resource)
	if err != nil {
		t.Fatal(err)
	}
	client := e.ca.HTTPClient(5 * time.Second)
	next := e.vaultURL + "/secrets/paged/versions?api-version=7.5&maxresults=2"
	var got []string
	pages := 0
	for next != "" {
		req, _ := http.NewRequest(http.MethodGet, next, nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var page listJSON
		err = json.NewDecoder(resp.Body).Decode(&page)
		resp.Body.Close()
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("page %d: %d %v", pages, resp.StatusCode, err)
		}
		pages++
		for _, it := range page.Value {
			got = append(got, it.ID[strings.LastIndex(it.ID, "/")+1:])
		}
		next = ""
		if page.NextLink != nil {
			next = *page.NextLink
		}
	}
	if pages != 3 || strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("%d pages with %v, want 3 pages with %v", pages, got, want)
	}
}
