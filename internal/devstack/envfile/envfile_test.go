package envfile

import (
	"reflect"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	in := "# devstack\n\nA=1\nexport B = two\r\nCONN=DefaultEndpointsProtocol=https;AccountName=dev;BlobEndpoint=https://127.0.0.1:1/dev;\nEMPTY=\n"
	got, err := Parse(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"A": "1", "B": " two", "CONN": "DefaultEndpointsProtocol=https;AccountName=dev;BlobEndpoint=https://127.0.0.1:1/dev;", "EMPTY": ""}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Parse = %#v\nwant %#v", got, want)
	}
	for _, bad := range []string{"novalue\n", "1A=x\n", "A B=x\n", "=x\n"} {
		if _, err := Parse(strings.NewReader(bad)); err == nil || !strings.Contains(err.Error(), "line 1") {
			t.Errorf("Parse(%q) err = %v, want a line-1 error", bad, err)
		}
	}
}

func TestEncodeRoundTrip(t *testing.T) {
	m := map[string]string{"Z": "last", "AzureWebJobsStorage": "a=b;c=d", "E": ""}
	b, err := Encode(m)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(b), "AzureWebJobsStorage=") {
		t.Errorf("Encode not sorted: %q", b)
	}
	back, err := Parse(strings.NewReader(string(b)))
	if err != nil || !reflect.DeepEqual(back, m) {
		t.Fatalf("round trip = %v, %v", back, err)
	}
	if _, err := Encode(map[string]string{"A": "x\ny"}); err == nil {
		t.Error("Encode accepted a newline")
	}
	if _, err := Encode(map[string]string{"A-B": "x"}); err == nil {
		t.Error("Encode accepted a bad key")
	}
}

func FuzzParse(f *testing.F) {
	f.Add("A=1\n# c\nB=x=y\n")
	f.Fuzz(func(t *testing.T, s string) {
		m, err := Parse(strings.NewReader(s))
		if err != nil {
			return
		}
		b, err := Encode(m)
		if err != nil {
			return
		}
		back, err := Parse(strings.NewReader(string(b)))
		if err != nil || !reflect.DeepEqual(back, m) {
			t.Fatalf("round trip of %q failed: %v %v", s, back, err)
		}
	})
}
