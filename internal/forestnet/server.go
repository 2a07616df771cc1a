package forestnet

import (
	"context"
	"crypto/hmac"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"
)

// ErrRankLost is returned by Collect when a rank's connection ends before
// it sent all its trees: the process exited, was killed or lost its node.
var ErrRankLost = errors.New("connection lost")

// ErrRankMissing is returned by Collect when a rank did not connect within
// Options.JoinTimeout.
var ErrRankMissing = errors.New("rank did not connect")

// keepAlive is the TCP keep-alive period of both ends, so that a node that
// vanishes without closing its connections is noticed.
const keepAlive = 15 * time.Second

// Server is rank 0's end.
type Server struct {
	ln   net.Listener
	opts Options
}

// Listen listens on addr (MASTER_ADDR:MASTER_PORT) for the other ranks.
func Listen(ctx context.Context, addr string, opts Options) (*Server, error) {
	if err := opts.check(); err != nil {
		return nil, err
	}
	lc := net.ListenConfig{KeepAlive: keepAlive}
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("forestnet: rank 0 cannot listen on %s (MASTER_ADDR:MASTER_PORT): %w", addr, err)
	}
	return &Server{ln: ln, opts: opts}, nil
}

// Addr is the address the server listens on.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// Close stops listening.
func (s *Server) Close() error { return s.ln.Close() }

// Collect accepts ranks 1 to WorldSize-1, once each, and passes each tree
// they send to accept (serially, each rank's in index order). It returns
// nil when every rank has sent all its trees, or the first failure: a
// connection that fails authentication or breaks the protocol, a rank that
// reports its failure (ErrRankFailed) or whose connection ends early
// (ErrRankLost), an error of accept, or the end of ctx. Then it closes
// every connection, so the other ranks fail too. It closes the listener
// when it returns.
func (s *Server) Collect(ctx context.Context, accept func(index int, tree []byte) error) error {
	defer s.ln.Close()
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var (
		mu     sync.Mutex
		conns  = map[net.Conn]bool{}
		joined = make([]bool, s.opts.WorldSize)
		closed bool // no more connections are served
		wg     sync.WaitGroup
		done   = make(chan error, s.opts.WorldSize)
	)
	stop := context.AfterFunc(ctx, func() {
		s.ln.Close()
		mu.Lock()
		for c := range conns {
			c.Close()
		}
		mu.Unlock()
	})
	defer stop()
	// shut stops serving and waits for the connections' goroutines.
	shut := func() {
		s.ln.Close()
		mu.Lock()
		closed = true
		mu.Unlock()
		wg.Wait()
	}
	if s.opts.JoinTimeout > 0 {
		t := time.AfterFunc(s.opts.JoinTimeout, func() {
			mu.Lock()
			var missing []int
			for r := 1; r < len(joined); r++ {
				if !joined[r] {
					missing = append(missing, r)
				}
			}
			mu.Unlock()
			if len(missing) > 0 {
				cancel(fmt.Errorf("forestnet: ranks %v did not connect to rank 0 within %s: %w (each failed before training or never started; see its log)", missing, s.opts.JoinTimeout, ErrRankMissing))
			}
		})
		defer t.Stop()
	}
	go func() {
		for {
			c, err := s.ln.Accept()
			if err != nil {
				if ctx.Err() == nil {
					cancel(fmt.Errorf("forestnet: accept: %w", err))
				}
				return
			}
			mu.Lock()
			if closed {
				mu.Unlock()
				c.Close()
				return
			}
			conns[c] = true
			wg.Add(1)
			mu.Unlock()
			go func() {
				defer wg.Done()
				defer c.Close()
				if err := s.serve(ctx, c, &mu, joined, accept); err != nil {
					cancel(err)
					return
				}
				done <- nil
			}()
		}
	}()
	for range s.opts.WorldSize - 1 {
		select {
		case <-done:
		case <-ctx.Done():
			shut()
			return context.Cause(ctx)
		}
	}
	shut()
	return nil
}

// serve runs one rank's connection.
func (s *Server) serve(ctx context.Context, nc net.Conn, mu *sync.Mutex, joined []bool, accept func(int, []byte) error) error {
	c := newConn(nc)
	from := nc.RemoteAddr().String()
	nc.SetDeadline(time.Now().Add(HandshakeTimeout))
	n0 := nonce()
	if err := c.write(typeHello, helloPayload(n0)); err != nil {
		return fmt.Errorf("forestnet: connection from %s: %w", from, err)
	}
	typ, p, err := c.read(4 + 4 + nonceSize + 4 + MaxFingerprint + macSize)
	if err != nil || typ != typeAuth {
		return fmt.Errorf("forestnet: connection from %s: %w: no auth frame (%v); only the job's ranks may connect to MASTER_PORT", from, ErrAuth, errOr(err, "frame "+string(typ)))
	}
	a, err := parseAuth(p)
	if err != nil {
		return fmt.Errorf("forestnet: connection from %s: %w", from, err)
	}
	if !hmac.Equal(a.mac, a.signed(s.opts.Key, n0)) {
		return fmt.Errorf("forestnet: connection from %s (says rank %d): %w: it does not hold this job's key (every rank derives it from the same Key Vault secret and AZUREML_RUN_ID; a token rotation while the job started can change it: resubmit the job)", from, a.rank, ErrAuth)
	}
	r := a.rank
	if a.world != s.opts.WorldSize || r < 1 || r >= s.opts.WorldSize {
		return fmt.Errorf("forestnet: rank %d of %d from %s: %w: rank 0 has WORLD_SIZE %d", r, a.world, from, ErrProtocol, s.opts.WorldSize)
	}
	mu.Lock()
	dup := joined[r]
	joined[r] = true
	mu.Unlock()
	if dup {
		return fmt.Errorf("forestnet: rank %d connected twice (again from %s): %w", r, from, ErrProtocol)
	}
	if err := c.write(typeOK, okMAC(s.opts.Key, n0, a.nonce, r)); err != nil {
		return fmt.Errorf("forestnet: rank %d: %w", r, err)
	}
	c.session = sessionKey(s.opts.Key, n0, a.nonce, r)
	if a.fingerprint != s.opts.Fingerprint {
		err := fmt.Errorf("forestnet: rank %d trains on other data or hyperparameters than rank 0 (%q, rank 0 %q): every rank must get the same job inputs and flags: %w", r, a.fingerprint, s.opts.Fingerprint, ErrProtocol)
		c.write(typeResult, append([]byte{1}, text(err.Error())...))
		return err
	}
	nc.SetDeadline(time.Time{}) // the rank trains now; ctx bounds the wait
	want, got := s.opts.count(r), 0
	lost := func(err error) error {
		if ctx.Err() != nil {
			return context.Cause(ctx)
		}
		return fmt.Errorf("forestnet: rank %d: %w after %d of its %d trees (%v): the process exited, was killed or lost its node; see rank %d's log", r, ErrRankLost, got, want, err, r)
	}
	for {
		typ, p, err := c.read(max(s.opts.MaxTreeBytes+4, maxMessage))
		switch {
		case errors.Is(err, ErrProtocol):
			return fmt.Errorf("forestnet: rank %d: %w", r, err)
		case err != nil:
			return lost(err)
		}
		switch typ {
		case typeTree:
			if len(p) < 4 {
				return fmt.Errorf("forestnet: rank %d: %w: tree frame of %d bytes", r, ErrProtocol, len(p))
			}
			i := int(binary.BigEndian.Uint32(p))
			if next := r + got*s.opts.WorldSize; got >= want || i != next {
				return fmt.Errorf("forestnet: rank %d: %w: sent tree %d, expected %s", r, ErrProtocol, i, expected(got, want, next))
			}
			mu.Lock()
			err := accept(i, p[4:])
			mu.Unlock()
			if err != nil {
				err = fmt.Errorf("forestnet: rank %d: tree %d: %w", r, i, err)
				c.write(typeResult, append([]byte{1}, text(err.Error())...))
				return err
			}
			got++
		case typeDone:
			if len(p) != 4 || int(binary.BigEndian.Uint32(p)) != got || got != want {
				return fmt.Errorf("forestnet: rank %d: %w: done after %d of %d trees", r, ErrProtocol, got, want)
			}
			if err := c.write(typeResult, []byte{0}); err != nil {
				return lost(err)
			}
			return nil
		case typeError:
			return fmt.Errorf("forestnet: rank %d: %w: %s", r, ErrRankFailed, p)
		default:
			return fmt.Errorf("forestnet: rank %d: %w: frame type %q", r, ErrProtocol, typ)
		}
	}
}

func expected(got, want, next int) string {
	if got >= want {
		return "none (all sent)"
	}
	return fmt.Sprintf("tree %d", next)
}

func errOr(err error, s string) any {
	if err == nil || errors.Is(err, io.EOF) {
		return s
	}
	return err
}
