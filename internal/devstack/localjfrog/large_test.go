package localjfrog

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"math/rand/v2"
	"net/http"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// heapBudget is the most the heap may grow while a large artifact streams,
// far below the artifact size.
const heapBudget = 48 << 20

// largeSize is the streamed artifact size: 256 MiB, 128 MiB under the race
// detector (still well above heapBudget).
func largeSize() int64 {
	if raceEnabled {
		return 128 << 20
	}
	return 256 << 20
}

// heapWatch samples the in-use heap until stopped and reports the peak.
type heapWatch struct {
	peak atomic.Uint64
	stop chan struct{}
	wg   sync.WaitGroup
}

func watchHeap() *heapWatch {
	h := &heapWatch{stop: make(chan struct{})}
	h.wg.Add(1)
	go func() {
		defer h.wg.Done()
		var ms runtime.MemStats
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > h.peak.Load() {
				h.peak.Store(ms.HeapInuse)
			}
			select {
			case <-h.stop:
				return
			case <-tick.C:
			}
		}
	}()
	return h
}

func (h *heapWatch) done() uint64 {
	close(h.stop)
	h.wg.Wait()
	return h.peak.Load()
}

func baselineHeap() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapInuse
}

func TestLargeUploadStreamsInConstantMemory(t *testing.T) {
	largeSize := largeSize()
	st := newStack(t, t.TempDir())
	st.createRepo(t, "generic-local", "generic")
	tok := st.s.AdminToken()
	url := st.base + "/artifactory/generic-local/big/blob.bin"

	base := baselineHeap()
	watch := watchHeap()
	start := time.Now()
	clientSum := sha256.New()
	body := io.TeeReader(io.LimitReader(rand.NewChaCha8([32]byte{7}), largeSize), clientSum)
	req, err := http.NewRequest("PUT", url, body)
	if err != nil {
		t.Fatal(err)
	}
	req.ContentLength = largeSize
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := st.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	upload := time.Since(start)
	if resp.StatusCode != 201 {
		t.Fatalf("upload status %d", resp.StatusCode)
	}
	want := hex.EncodeToString(clientSum.Sum(nil))

	start = time.Now()
	req, _ = http.NewRequest("GET", url, nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err = st.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	got := sha256.New()
	n, err := io.Copy(got, resp.Body)
	resp.Body.Close()
	download := time.Since(start)
	peak := watch.done()
	if err != nil || n != largeSize {
		t.Fatalf("downloaded %d bytes, err %v", n, err)
	}
	if hex.EncodeToString(got.Sum(nil)) != want || resp.Header.Get("X-Checksum-Sha256") != want {
		t.Fatalf("sha256 mismatch: header %s, bytes %x, sent %s", resp.Header.Get("X-Checksum-Sha256"), got.Sum(nil), want)
	}
	growth := int64(peak) - int64(base)
	t.Logf("%d MiB: upload %v, download %v, peak heap growth %.1f MiB", largeSize>>20, upload.Round(time.Millisecond), download.Round(time.Millisecond), float64(growth)/(1<<20))
	if growth > heapBudget {
		t.Fatalf("heap grew by %d MiB while streaming %d MiB; uploads must stream", growth>>20, largeSize>>20)
	}
}
