package jfrog_test

import (
	"context"
	"encoding/binary"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/frogbridge/frogbridge/internal/jfrog"
)

// mlrepoSize is the model size of the transfer benchmarks: bytes or a
// size with a KiB, MiB or GiB suffix (env MLREPO_SIZE; default 256MiB).
var mlrepoSize = flag.String("mlrepo.size", "", "model size for BenchmarkModelUpload/Download, e.g. 256MiB or 1GiB (env MLREPO_SIZE)")

func benchSize(b *testing.B) int64 {
	s := *mlrepoSize
	if s == "" {
		s = os.Getenv("MLREPO_SIZE")
	}
	if s == "" {
		s = "256MiB"
	}
	n, err := parseSize(s)
	if err != nil {
		b.Fatalf("-mlrepo.size: %v", err)
	}
	return n
}

func parseSize(s string) (int64, error) {
	mult := int64(1)
	for suffix, m := range map[string]int64{"KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30} {
		if strings.HasSuffix(s, suffix) {
			s, mult = strings.TrimSuffix(s, suffix), m
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("%q is not a positive size such as 256MiB", s)
	}
	return n * mult, nil
}

// writeLarge writes size pseudo-random bytes to path in 1 MiB chunks.
func writeLarge(b *testing.B, path string, size int64) {
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	chunk := pseudoRandom(1<<20, 9)
	for left := size; left > 0; left -= int64(len(chunk)) {
		binary.LittleEndian.PutUint64(chunk, uint64(left))
		if _, err := f.Write(chunk[:min(left, int64(len(chunk)))]); err != nil {
			b.Fatal(err)
		}
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
}

// stamp makes the file's content new, so no checksum deploy can skip it.
func stamp(b *testing.B, path string, v uint64) {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		b.Fatal(err)
	}
	var buf [8]byte
	binary.LittleEndian.PutUint64(buf[:], v)
	if _, err := f.WriteAt(buf[:], 0); err != nil {
		b.Fatal(err)
	}
	f.Close()
}

// plainDo sends a request through the same TLS client as the jfrog
// client and copies the reply body to w with io.Copy.
func plainDo(b *testing.B, s *mlServer, method, path string, body io.Reader, size int64, w io.Writer) {
	req, err := http.NewRequest(method, s.srv.URL+path, body)
	if err != nil {
		b.Fatal(err)
	}
	req.ContentLength = size
	req.Header.Set("Authorization", "Bearer "+s.admin.Reveal())
	resp, err := s.srv.Client().Do(req)
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	if _, err := io.Copy(w, resp.Body); err != nil {
		b.Fatal(err)
	}
	if resp.StatusCode/100 != 2 {
		b.Fatalf("%s %s: %d", method, path, resp.StatusCode)
	}
}

func reportRatio(b *testing.B, size int64, client, plain time.Duration) {
	mbs := func(d time.Duration) float64 { return float64(size) * float64(b.N) / d.Seconds() / 1e6 }
	b.ReportMetric(mbs(client), "client-MB/s")
	b.ReportMetric(mbs(plain), "io.Copy-MB/s")
	b.ReportMetric(100*plain.Seconds()/client.Seconds(), "%-of-io.Copy")
}

// BenchmarkModelUpload compares UploadModelVersion of one large file
// (hash pass, checksum-deploy miss, streamed content, transaction) with a
// plain PUT of the same file through the same TLS client.
func BenchmarkModelUpload(b *testing.B) {
	size := benchSize(b)
	s := newMLServer(b, testRepo)
	c := s.client(b)
	local := filepath.Join(b.TempDir(), "model.bin")
	writeLarge(b, local, size)
	ctx := context.Background()
	var client, plain time.Duration
	b.SetBytes(size)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		version := "b" + strconv.Itoa(i)
		runs := []func(){
			func() {
				stamp(b, local, uint64(2*i+1))
				t0 := time.Now()
				res, err := c.UploadModelVersion(ctx, s.admin, jfrog.ModelRef{Repo: testRepo, Name: "big", Version: version}, []jfrog.ModelFile{{Name: "model.bin", Path: local}}, nil)
				if err != nil {
					b.Fatal(err)
				}
				client += time.Since(t0)
				if res.BytesSent != size {
					b.Fatalf("sent %d bytes", res.BytesSent)
				}
			},
			func() {
				stamp(b, local, uint64(2*i+2))
				f, err := os.Open(local)
				if err != nil {
					b.Fatal(err)
				}
				t0 := time.Now()
				plainDo(b, s, http.MethodPut, "/artifactory/"+testRepo+"/plain/"+version+"/model.bin", f, size, io.Discard)
				plain += time.Since(t0)
				f.Close()
			},
		}
		// Alternate which path goes first (see BenchmarkModelDownload).
		if i%2 == 1 {
			runs[0], runs[1] = runs[1], runs[0]
		}
		for _, run := range runs {
			run()
		}
		b.StopTimer()
		plainDo(b, s, http.MethodDelete, "/artifactory/"+testRepo+"/models/big/"+version, nil, 0, io.Discard)
		plainDo(b, s, http.MethodDelete, "/artifactory/"+testRepo+"/plain/"+version, nil, 0, io.Discard)
		b.StartTimer()
	}
	reportRatio(b, size, client, plain)
}

// BenchmarkModelDownload compares DownloadModelVersion (manifest, hashing
// while writing, fsync, rename) with a plain GET copied into a file.
func BenchmarkModelDownload(b *testing.B) {
	size := benchSize(b)
	s := newMLServer(b, testRepo)
	c := s.client(b)
	dir := b.TempDir()
	local := filepath.Join(dir, "model.bin")
	writeLarge(b, local, size)
	ctx := context.Background()
	if _, err := c.UploadModelVersion(ctx, s.admin, jfrog.ModelRef{Repo: testRepo, Name: "big", Version: "1"}, []jfrog.ModelFile{{Name: "model.bin", Path: local}}, nil); err != nil {
		b.Fatal(err)
	}
	os.Remove(local)
	var client, plain time.Duration
	b.SetBytes(size)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		// Alternate which path goes first, so page-cache and writeback
		// effects of one run fall on both equally.
		runs := []func(){
			func() {
				dest := filepath.Join(dir, "dl")
				t0 := time.Now()
				if _, err := c.DownloadModelVersion(ctx, s.admin, jfrog.ModelRef{Repo: testRepo, Name: "big", Version: "1"}, dest, nil); err != nil {
					b.Fatal(err)
				}
				client += time.Since(t0)
				b.StopTimer()
				os.RemoveAll(dest)
				b.StartTimer()
			},
			func() {
				f, err := os.Create(filepath.Join(dir, "plain.bin"))
				if err != nil {
					b.Fatal(err)
				}
				t0 := time.Now()
				plainDo(b, s, http.MethodGet, "/artifactory/"+testRepo+"/models/big/1/model/model.bin", nil, 0, f)
				plain += time.Since(t0)
				f.Close()
				b.StopTimer()
				os.Remove(f.Name())
				b.StartTimer()
			},
		}
		if i%2 == 1 {
			runs[0], runs[1] = runs[1], runs[0]
		}
		for _, run := range runs {
			run()
		}
	}
	reportRatio(b, size, client, plain)
}
