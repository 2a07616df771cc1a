package jfrog

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"net"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
)

// transferBufSize and transferSlots are the buffers used to hash and copy
// artifacts: memory per transfer is constant (1 MiB) whatever the file size.
// Chunks of 128 KiB stay in the processor caches between the reader and
// the writers; measured on 2 cores, downloads with 1 MiB chunks ran at about
// 67 % of a plain io.Copy, with 128 KiB chunks at about 80 %.
const (
	transferBufSize = 128 << 10
	transferSlots   = 8
)

// digest is the size and checksums of one local file.
type digest struct {
	Size   int64
	Sha256 string
	Sha1   string // "" unless requested
	Md5    string // "" unless requested
}

// hashFile reads path once and computes its SHA-256 and, when all is set,
// its SHA-1 and MD5. The hashes run in parallel on the same buffers. The
// extra two are optional because Artifactory needs only one checksum and
// MD5 alone costs about three times the SHA-256 pass (SHA extensions).
func hashFile(path string, all bool) (digest, error) {
	f, err := os.Open(path)
	if err != nil {
		return digest{}, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return digest{}, err
	}
	if !st.Mode().IsRegular() {
		return digest{}, fmt.Errorf("%s is not a regular file", path)
	}
	ws := []io.Writer{sha256.New()}
	if all {
		ws = append(ws, sha1.New(), md5.New())
	}
	n, err := fanOut(f, ws)
	if err != nil {
		return digest{}, fmt.Errorf("read %s: %w", path, err)
	}
	d := digest{Size: n, Sha256: sum(ws[0])}
	if all {
		d.Sha1, d.Md5 = sum(ws[1]), sum(ws[2])
	}
	return d, nil
}

// sum returns the hex digest of a hash passed to fanOut as a writer.
func sum(w io.Writer) string { return hex.EncodeToString(w.(hash.Hash).Sum(nil)) }

// fanOut copies r to every writer, one goroutine per writer, with
// transferSlots buffers in flight so reading overlaps writing and hashing. It returns
// the bytes read and the first read or write error.
func fanOut(r io.Reader, ws []io.Writer) (int64, error) {
	const slots = transferSlots
	type chunk struct{ slot, n int }
	var bufs [slots][]byte
	var pending [slots]atomic.Int32 // writers still using each slot
	free := make(chan int, slots)
	for i := range bufs {
		bufs[i] = make([]byte, transferBufSize)
		free <- i
	}
	var (
		errOnce  sync.Once
		firstErr error
		failed   atomic.Bool
	)
	fail := func(err error) {
		errOnce.Do(func() { firstErr = err })
		failed.Store(true)
	}
	feeds := make([]chan chunk, len(ws))
	var done sync.WaitGroup
	for i, w := range ws {
		feeds[i] = make(chan chunk, slots)
		done.Add(1)
		go func(w io.Writer, in <-chan chunk) {
			defer done.Done()
			for c := range in {
				if !failed.Load() {
					if _, err := w.Write(bufs[c.slot][:c.n]); err != nil {
						fail(err)
					}
				}
				if pending[c.slot].Add(-1) == 0 {
					free <- c.slot
				}
			}
		}(w, feeds[i])
	}
	var total int64
	for !failed.Load() {
		slot := <-free
		n, err := io.ReadFull(r, bufs[slot])
		if n > 0 {
			total += int64(n)
			pending[slot].Store(int32(len(ws)))
			for _, c := range feeds {
				c <- chunk{slot, n}
			}
		} else {
			free <- slot
		}
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			break
		}
		if err != nil {
			fail(err)
		}
	}
	for _, c := range feeds {
		close(c)
	}
	done.Wait()
	return total, firstErr
}

// fileBody is a local file sent as a request body. It is an
// io.ReadSeekCloser, so the retry policy can rewind and resend it.
type fileBody struct {
	*os.File
}

// transferRetry returns the retry options for a content transfer of size
// bytes: base with the per-try timeout, when unset, grown by one second per
// MiB over the 30 s default so a large file is not cut off mid-way.
func transferRetry(base policy.RetryOptions, size int64) policy.RetryOptions {
	o := base
	if o.TryTimeout == 0 {
		o.TryTimeout = defaultTryTimeout + time.Duration(size>>20)*time.Second
	}
	return o
}

// postRetry returns the retry options for a non-idempotent POST: it is
// retried only when the server answered that it did not process it (429,
// 503) or when the connection could not be opened, never after a reply
// was lost or a 500, which may follow a completed call.
func postRetry(base policy.RetryOptions) policy.RetryOptions {
	o := base
	if o.TryTimeout == 0 {
		o.TryTimeout = defaultTryTimeout
	}
	o.ShouldRetry = func(resp *http.Response, err error) bool {
		if err != nil {
			var op *net.OpError
			return errors.As(err, &op) && op.Op == "dial"
		}
		return resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable
	}
	return o
}
