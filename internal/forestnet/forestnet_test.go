package forestnet

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

var testKey = DeriveKey([]byte("jfrog-token-value"), "train-20261204-abc")

func opts(world, trees int) Options {
	return Options{Key: testKey, WorldSize: world, Trees: trees, Fingerprint: "data=abc params=n7"}
}

func listen(t *testing.T, o Options) *Server {
	t.Helper()
	s, err := Listen(context.Background(), "127.0.0.1:0", o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// collect runs Collect in the background; the result arrives on the channel.
func collect(s *Server, ctx context.Context) (map[int][]byte, <-chan error) {
	got := map[int][]byte{}
	errc := make(chan error, 1)
	go func() {
		errc <- s.Collect(ctx, func(i int, tree []byte) error {
			if _, dup := got[i]; dup {
				return fmt.Errorf("tree %d twice", i)
			}
			got[i] = bytes.Clone(tree)
			return nil
		})
	}()
	return got, errc
}

func dial(t *testing.T, s *Server, rank int, o Options) *Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := Dial(ctx, s.Addr().String(), rank, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func treeBytes(i int) []byte { return []byte(strings.Repeat(fmt.Sprint(i), i+1)) }

func wait(t *testing.T, errc <-chan error) error {
	t.Helper()
	select {
	case err := <-errc:
		return err
	case <-time.After(10 * time.Second):
		t.Fatal("Collect did not return")
		return nil
	}
}

func TestCollectGathersEveryRanksTrees(t *testing.T) {
	o := opts(3, 8)
	s := listen(t, o)
	got, errc := collect(s, context.Background())
	var wg sync.WaitGroup
	for rank := 1; rank < 3; rank++ {
		c := dial(t, s, rank, o)
		wg.Go(func() {
			for i := rank; i < 8; i += 3 {
				if err := c.SendTree(i, treeBytes(i)); err != nil {
					t.Error(err)
				}
			}
			if err := c.Finish(context.Background()); err != nil {
				t.Errorf("rank %d: %v", rank, err)
			}
		})
	}
	wg.Wait()
	if err := wait(t, errc); err != nil {
		t.Fatal(err)
	}
	for i := range 8 {
		want := i%3 != 0
		if _, ok := got[i]; ok != want || ok && !bytes.Equal(got[i], treeBytes(i)) {
			t.Errorf("tree %d: got %q, want it: %v", i, got[i], want)
		}
	}
}

func TestWrongKeyFailsBothEnds(t *testing.T) {
	o := opts(2, 4)
	s := listen(t, o)
	_, errc := collect(s, context.Background())
	bad := o
	bad.Key = DeriveKey([]byte("jfrog-token-value"), "another-job")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := Dial(ctx, s.Addr().String(), 1, bad); !errors.Is(err, ErrAuth) {
		t.Errorf("Dial with another job's key: err = %v, want ErrAuth", err)
	}
	if err := wait(t, errc); !errors.Is(err, ErrAuth) {
		t.Errorf("Collect: err = %v, want ErrAuth", err)
	}
}

func TestGarbageConnectionFailsCollect(t *testing.T) {
	s := listen(t, opts(2, 4))
	_, errc := collect(s, context.Background())
	c, err := net.Dial("tcp", s.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Write([]byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"))
	if err := wait(t, errc); !errors.Is(err, ErrAuth) {
		t.Errorf("err = %v, want ErrAuth", err)
	}
}

func TestRankDyingMidwayFailsCollect(t *testing.T) {
	o := opts(2, 6)
	s := listen(t, o)
	_, errc := collect(s, context.Background())
	c := dial(t, s, 1, o)
	if err := c.SendTree(1, treeBytes(1)); err != nil {
		t.Fatal(err)
	}
	c.Close() // as the kernel does when the process is killed
	err := wait(t, errc)
	if !errors.Is(err, ErrRankLost) || !strings.Contains(err.Error(), "rank 1") || !strings.Contains(err.Error(), "after 1 of its 3 trees") {
		t.Errorf("err = %v, want ErrRankLost naming rank 1 after 1 of 3 trees", err)
	}
}

func TestRankReportsItsFailure(t *testing.T) {
	o := opts(2, 2)
	s := listen(t, o)
	_, errc := collect(s, context.Background())
	c := dial(t, s, 1, o)
	c.Fail(errors.New("read data: disk full"))
	err := wait(t, errc)
	if !errors.Is(err, ErrRankFailed) || !strings.Contains(err.Error(), "disk full") {
		t.Errorf("err = %v, want ErrRankFailed with the rank's message", err)
	}
}

func TestTamperedFrameFailsCollect(t *testing.T) {
	o := opts(2, 2)
	s := listen(t, o)
	_, errc := collect(s, context.Background())
	c := dial(t, s, 1, o)
	c.c.session = DeriveKey([]byte("x"), "y") // frames no longer carry rank 0's MAC
	c.SendTree(1, treeBytes(1))
	if err := wait(t, errc); !errors.Is(err, ErrProtocol) {
		t.Errorf("err = %v, want ErrProtocol", err)
	}
}

func TestOversizedFrameFailsCollect(t *testing.T) {
	o := opts(2, 2)
	o.MaxTreeBytes = 16
	s := listen(t, o)
	_, errc := collect(s, context.Background())
	c := dial(t, s, 1, o)
	c.c.write(typeTree, make([]byte, 4096+5)) // over max(MaxTreeBytes+4, maxMessage)
	if err := wait(t, errc); !errors.Is(err, ErrProtocol) {
		t.Errorf("err = %v, want ErrProtocol", err)
	}
	if err := c.SendTree(1, make([]byte, 17)); err == nil {
		t.Error("SendTree sent a tree over MaxTreeBytes")
	}
}

func TestOutOfTurnTreeFailsCollect(t *testing.T) {
	o := opts(2, 6)
	s := listen(t, o)
	_, errc := collect(s, context.Background())
	c := dial(t, s, 1, o)
	c.c.write(typeTree, append(u32(2), 'x')) // tree 2 is rank 0's
	if err := wait(t, errc); !errors.Is(err, ErrProtocol) {
		t.Errorf("err = %v, want ErrProtocol", err)
	}
}

func TestFingerprintMismatchFailsBoth(t *testing.T) {
	o := opts(2, 2)
	s := listen(t, o)
	_, errc := collect(s, context.Background())
	other := o
	other.Fingerprint = "data=def params=n7"
	c := dial(t, s, 1, other)
	if err := wait(t, errc); !errors.Is(err, ErrProtocol) || !strings.Contains(err.Error(), "other data") {
		t.Errorf("Collect: err = %v, want a fingerprint mismatch", err)
	}
	if err := c.Finish(context.Background()); err == nil {
		t.Error("rank 1 finished although rank 0 refused it")
	}
}

func TestAcceptErrorRefusesTheRank(t *testing.T) {
	o := opts(2, 2)
	s := listen(t, o)
	errc := make(chan error, 1)
	go func() {
		errc <- s.Collect(context.Background(), func(int, []byte) error { return errors.New("tree: truncated") })
	}()
	c := dial(t, s, 1, o)
	c.SendTree(1, []byte("x"))
	if err := c.Finish(context.Background()); err == nil || !strings.Contains(err.Error(), "truncated") {
		t.Errorf("Finish: err = %v, want rank 0's refusal", err)
	}
	if err := wait(t, errc); err == nil || !strings.Contains(err.Error(), "truncated") {
		t.Errorf("Collect: err = %v", err)
	}
}

func TestCollectEndsWithItsContext(t *testing.T) {
	s := listen(t, opts(3, 3))
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, errc := collect(s, ctx)
	if err := wait(t, errc); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v, want DeadlineExceeded", err)
	}
}

func TestDialWaitsForRankZero(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	o := opts(2, 2)
	result := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		c, err := Dial(ctx, addr, 1, o)
		if err == nil {
			c.SendTree(1, []byte("t"))
			err = c.Finish(ctx)
		}
		result <- err
	}()
	time.Sleep(3 * dialRetry)
	s, err := Listen(context.Background(), addr, o)
	if err != nil {
		t.Skipf("port %s taken meanwhile: %v", addr, err)
	}
	if err := s.Collect(context.Background(), func(int, []byte) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if err := <-result; err != nil {
		t.Fatal(err)
	}
}

func TestDialGivesUpWithItsContext(t *testing.T) {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if _, err := Dial(ctx, addr, 1, opts(2, 2)); !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "MASTER_ADDR") {
		t.Errorf("err = %v", err)
	}
}

func TestOptionsChecked(t *testing.T) {
	for _, o := range []Options{
		{Key: []byte("short"), WorldSize: 2, Trees: 1},
		{Key: testKey, WorldSize: 1, Trees: 1},
		{Key: testKey, WorldSize: 2, Trees: 0},
		{Key: testKey, WorldSize: 2, Trees: 1, Fingerprint: strings.Repeat("x", MaxFingerprint+1)},
	} {
		if _, err := Listen(context.Background(), "127.0.0.1:0", o); err == nil {
			t.Errorf("Listen accepted %+v", o)
		}
	}
}

func TestCollectNamesTheRankThatNeverJoined(t *testing.T) {
	o := opts(3, 3)
	o.JoinTimeout = 300 * time.Millisecond
	s := listen(t, o)
	_, errc := collect(s, context.Background())
	c := dial(t, s, 1, o)
	defer c.Close()
	err := wait(t, errc)
	if !errors.Is(err, ErrRankMissing) || !strings.Contains(err.Error(), "ranks [2]") {
		t.Errorf("err = %v, want ErrRankMissing naming rank 2", err)
	}
}
