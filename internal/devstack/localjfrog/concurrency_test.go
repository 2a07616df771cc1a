package localjfrog

import (
	"bytes"
	"fmt"
	"net/http"
	"sync"
	"testing"
)

// TestConcurrentDeploysAndDeletes races deploys of shared content against
// deletes; afterwards every remaining file downloads intact and no blob is
// left without a file.
func TestConcurrentDeploysAndDeletes(t *testing.T) {
	st := newStack(t, t.TempDir())
	st.createRepo(t, "generic-local", "generic")
	tok := st.s.AdminToken()
	contents := [][]byte{bytes.Repeat([]byte("a"), 70000), bytes.Repeat([]byte("b"), 5000), []byte("c")}
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for w := 0; w < 6; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < 8; i++ {
				c := contents[(w+i)%len(contents)]
				path := fmt.Sprintf("/artifactory/generic-local/w%d/f%d", w, i%3)
				req, _ := http.NewRequest("PUT", st.base+path, bytes.NewReader(c))
				req.Header.Set("Authorization", "Bearer "+tok)
				if i%2 == 1 {
					req.Header.Set("X-Checksum-Sha1", sums(c).Sha1)
				}
				resp, err := st.client.Do(req)
				if err != nil {
					errs <- err
					return
				}
				resp.Body.Close()
				if resp.StatusCode != 201 {
					errs <- fmt.Errorf("PUT %s: %d", path, resp.StatusCode)
				}
				if i%4 == 3 {
					req, _ = http.NewRequest("DELETE", st.base+fmt.Sprintf("/artifactory/generic-local/w%d", w), nil)
					req.Header.Set("Authorization", "Bearer "+tok)
					if resp, err := st.client.Do(req); err == nil {
						resp.Body.Close()
					}
				}
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	var files map[string]string
	st.s.art.view(func(a *artState) {
		files = map[string]string{}
		for p, f := range a.Repos["generic-local"].Files {
			files[p] = f.Sha256
		}
	})
	used := map[string]bool{}
	for p, sha := range files {
		used[sha] = true
		g := st.do(t, "GET", "/artifactory/generic-local/"+p, tok, nil, nil)
		if g.Status != 200 || sums(g.Body).Sha256 != sha {
			t.Fatalf("%s: status %d, content does not match its sha256", p, g.Status)
		}
	}
	if n := st.blobCount(t); n != len(used) {
		t.Fatalf("%d blob files for %d distinct contents in use", n, len(used))
	}
}
