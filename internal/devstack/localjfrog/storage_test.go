package localjfrog

import (
	"net/http"
	"reflect"
	"strings"
	"testing"
)

func TestStorageAPI(t *testing.T) {
	st := newStack(t, t.TempDir())
	tok := st.s.AdminToken()
	st.createRepo(t, "generic-local", "generic")
	files := map[string]string{"a/one.txt": "1", "a/b/two.bin": "22", "a/b/c/three.json": "{}", "top.txt": "t"}
	for p, c := range files {
		wantStatus(t, st.do(t, "PUT", "/artifactory/generic-local/"+p, tok, strings.NewReader(c), nil), 201)
	}
	// Matrix parameters set properties at deploy time.
	wantStatus(t, st.do(t, "PUT", "/artifactory/generic-local/a/props.txt;build.name=demo;team=ml%20ops;team=data", tok, strings.NewReader("p"), nil), 201)
	wantStatus(t, st.do(t, "PUT", "/artifactory/generic-local/empty/folder/", tok, nil, nil), 201)

	t.Run("file info", func(t *testing.T) {
		var fi fileInfo
		r := st.do(t, "GET", "/artifactory/api/storage/generic-local/a/b/two.bin", tok, nil, nil)
		wantStatus(t, r, 200)
		r.json(t, &fi)
		want := sums([]byte("22"))
		if fi.Path != "/a/b/two.bin" || fi.Size != "2" || fi.Checksums != want || fi.DownloadURI != st.base+"/artifactory/generic-local/a/b/two.bin" ||
			fi.URI != st.base+"/artifactory/api/storage/generic-local/a/b/two.bin" || fi.Created == "" {
			t.Fatalf("file info %+v", fi)
		}
	})
	t.Run("folder info", func(t *testing.T) {
		tests := []struct {
			path string
			want []folderChild
		}{
			{"", []folderChild{{"/a", true}, {"/empty", true}, {"/top.txt", false}}},
			{"/a", []folderChild{{"/b", true}, {"/one.txt", false}, {"/props.txt", false}}},
			{"/empty/folder", []folderChild{}},
		}
		for _, tc := range tests {
			t.Run(tc.path, func(t *testing.T) {
				var fo folderInfo
				r := st.do(t, "GET", "/artifactory/api/storage/generic-local"+tc.path, tok, nil, nil)
				wantStatus(t, r, 200)
				r.json(t, &fo)
				if !reflect.DeepEqual(fo.Children, tc.want) || fo.Repo != "generic-local" {
					t.Fatalf("children %+v, want %+v", fo.Children, tc.want)
				}
			})
		}
		wantError(t, st.do(t, "GET", "/artifactory/api/storage/generic-local/nope", tok, nil, nil), 404)
	})
	t.Run("file list", func(t *testing.T) {
		tests := []struct {
			query string
			want  []string
		}{
			{"list", []string{"/one.txt", "/props.txt"}},
			{"list&deep=1", []string{"/b/c/three.json", "/b/two.bin", "/one.txt", "/props.txt"}},
			{"list&deep=1&depth=2", []string{"/b/two.bin", "/one.txt", "/props.txt"}},
			{"list&deep=1&listFolders=1", []string{"/b", "/b/c", "/b/c/three.json", "/b/two.bin", "/one.txt", "/props.txt"}},
		}
		for _, tc := range tests {
			t.Run(tc.query, func(t *testing.T) {
				var out struct {
					Files []fileListEntry `json:"files"`
				}
				r := st.do(t, "GET", "/artifactory/api/storage/generic-local/a?"+tc.query, tok, nil, nil)
				wantStatus(t, r, 200)
				r.json(t, &out)
				var got []string
				for _, f := range out.Files {
					got = append(got, f.URI)
					if !f.Folder && f.Sha2 == "" {
						t.Fatalf("file %s has no sha2", f.URI)
					}
				}
				if !reflect.DeepEqual(got, tc.want) {
					t.Fatalf("list %v, want %v", got, tc.want)
				}
			})
		}
	})
	t.Run("properties", func(t *testing.T) {
		getProps := func(path string) map[string][]string {
			var out struct {
				Properties map[string][]string `json:"properties"`
			}
			r := st.do(t, "GET", "/artifactory/api/storage/generic-local/"+path+"?properties", tok, nil, nil)
			if r.Status == 404 {
				return nil
			}
			wantStatus(t, r, 200)
			r.json(t, &out)
			return out.Properties
		}
		if got := getProps("a/props.txt"); !reflect.DeepEqual(got, map[string][]string{"build.name": {"demo"}, "team": {"ml ops", "data"}}) {
			t.Fatalf("matrix properties %v", got)
		}
		wantStatus(t, st.do(t, "PUT", "/artifactory/api/storage/generic-local/a/one.txt?properties=k1=v1,v2;k2=a%5C,b|k3=x%3Dy", tok, nil, nil), 204)
		if got := getProps("a/one.txt"); !reflect.DeepEqual(got, map[string][]string{"k1": {"v1", "v2"}, "k2": {"a,b"}, "k3": {"x=y"}}) {
			t.Fatalf("set properties %v", got)
		}
		r := st.do(t, "GET", "/artifactory/api/storage/generic-local/a/one.txt?properties=k2,missing", tok, nil, nil)
		if !strings.Contains(string(r.Body), `"k2"`) || strings.Contains(string(r.Body), `"k1"`) {
			t.Fatalf("filtered properties %s", r.Body)
		}
		wantStatus(t, st.do(t, "DELETE", "/artifactory/api/storage/generic-local/a/one.txt?properties=k1,k3", tok, nil, nil), 204)
		if got := getProps("a/one.txt"); !reflect.DeepEqual(got, map[string][]string{"k2": {"a,b"}}) {
			t.Fatalf("after delete %v", got)
		}
		// Folders apply recursively unless recursive=0.
		wantStatus(t, st.do(t, "PUT", "/artifactory/api/storage/generic-local/a/b?properties=stage=prod", tok, nil, nil), 204)
		wantStatus(t, st.do(t, "PUT", "/artifactory/api/storage/generic-local/a?properties=only=folder&recursive=0", tok, nil, nil), 204)
		if got := getProps("a/b/c/three.json"); !reflect.DeepEqual(got, map[string][]string{"stage": {"prod"}}) {
			t.Fatalf("recursive properties %v", got)
		}
		if got := getProps("a"); !reflect.DeepEqual(got, map[string][]string{"only": {"folder"}}) {
			t.Fatalf("folder properties %v", got)
		}
		wantError(t, st.do(t, "GET", "/artifactory/api/storage/generic-local/top.txt?properties", tok, nil, nil), 404)
		wantError(t, st.do(t, "PUT", "/artifactory/api/storage/generic-local/top.txt?properties==novalue", tok, nil, nil), 400)
		wantError(t, st.do(t, "PUT", "/artifactory/api/storage/generic-local/top.txt", tok, nil, nil), 400)
		wantError(t, st.do(t, "PUT", "/artifactory/api/storage/generic-local/none?properties=a=b", tok, nil, nil), 404)
	})
	t.Run("folder download is a listing", func(t *testing.T) {
		r := st.do(t, "GET", "/artifactory/generic-local/a", tok, nil, nil)
		wantStatus(t, r, http.StatusOK)
		if !strings.Contains(string(r.Body), `href="/artifactory/generic-local/a/one.txt"`) || !strings.Contains(string(r.Body), `href="/artifactory/generic-local/a/b/"`) ||
			!strings.Contains(string(r.Body), `href="/artifactory/generic-local/"`) {
			t.Fatalf("listing %s", r.Body)
		}
	})
}

func TestParseProperties(t *testing.T) {
	tests := []struct {
		in      string
		want    map[string][]string
		wantErr bool
	}{
		{"a=1", map[string][]string{"a": {"1"}}, false},
		{"a=1,2;b=3", map[string][]string{"a": {"1", "2"}, "b": {"3"}}, false},
		{"a=1|b=2;", map[string][]string{"a": {"1"}, "b": {"2"}}, false},
		{`a=x\,y\;z`, map[string][]string{"a": {"x,y;z"}}, false},
		{"flag", map[string][]string{"flag": {""}}, false},
		{"a=1;a=2", map[string][]string{"a": {"1", "2"}}, false},
		{"", nil, true},
		{"=1", nil, true},
		{`a=\`, nil, true},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := parseProperties(tc.in)
			if (err != nil) != tc.wantErr || (!tc.wantErr && !reflect.DeepEqual(got, tc.want)) {
				t.Fatalf("parseProperties(%q) = %v, %v; want %v, error %v", tc.in, got, err, tc.want, tc.wantErr)
			}
		})
	}
}
