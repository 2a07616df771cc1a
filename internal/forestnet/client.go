package forestnet

import (
	"context"
	"crypto/hmac"
	"fmt"
	"net"
	"time"
)

// dialRetry is the pause between attempts while rank 0 is not listening
// yet.
const dialRetry = 200 * time.Millisecond

// Client is the end of a rank other than 0.
type Client struct {
	c    *conn
	opts Options
	rank int
	sent int
}

// Dial connects rank (1 to WorldSize-1) to rank 0 at addr and
// authenticates both ends. It retries while nothing listens at addr (rank
// 0 may start later) until ctx ends.
func Dial(ctx context.Context, addr string, rank int, opts Options) (*Client, error) {
	if err := opts.check(); err != nil {
		return nil, err
	}
	if rank < 1 || rank >= opts.WorldSize {
		return nil, fmt.Errorf("forestnet: rank %d: a client's rank is 1 to %d", rank, opts.WorldSize-1)
	}
	d := net.Dialer{KeepAlive: keepAlive, Timeout: 10 * time.Second}
	var nc net.Conn
	for {
		var err error
		if nc, err = d.DialContext(ctx, "tcp", addr); err == nil {
			break
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("forestnet: rank %d cannot reach rank 0 at %s (MASTER_ADDR:MASTER_PORT): %w (%w)", rank, addr, err, context.Cause(ctx))
		case <-time.After(dialRetry):
		}
	}
	cl := &Client{c: newConn(nc), opts: opts, rank: rank}
	if err := cl.handshake(ctx, addr); err != nil {
		nc.Close()
		return nil, err
	}
	return cl, nil
}

func (cl *Client) handshake(ctx context.Context, addr string) error {
	nc := cl.c.c
	defer watch(ctx, nc)()
	nc.SetDeadline(time.Now().Add(HandshakeTimeout))
	defer nc.SetDeadline(time.Time{})
	typ, p, err := cl.c.read(len(magic) + nonceSize)
	if err != nil || typ != typeHello || len(p) != len(magic)+nonceSize || string(p[:len(magic)]) != magic {
		return fmt.Errorf("forestnet: rank %d: %s is not rank 0 of a frogbridge training job (%v): %w", cl.rank, addr, errOr(err, "bad hello"), ErrProtocol)
	}
	n0 := p[len(magic):]
	a := &auth{rank: cl.rank, world: cl.opts.WorldSize, nonce: nonce(), fingerprint: cl.opts.Fingerprint}
	a.mac = a.signed(cl.opts.Key, n0)
	if err := cl.c.write(typeAuth, a.marshal()); err != nil {
		return fmt.Errorf("forestnet: rank %d: %w", cl.rank, err)
	}
	typ, p, err = cl.c.read(macSize)
	if err != nil || typ != typeOK || !hmac.Equal(p, okMAC(cl.opts.Key, n0, a.nonce, cl.rank)) {
		return fmt.Errorf("forestnet: rank %d: rank 0 at %s refused this rank or does not hold this job's key (%v): %w", cl.rank, addr, errOr(err, "no valid ok"), ErrAuth)
	}
	cl.c.session = sessionKey(cl.opts.Key, n0, a.nonce, cl.rank)
	return nil
}

// SendTree sends tree index, which must be this rank's next tree.
func (cl *Client) SendTree(index int, tree []byte) error {
	if next := cl.rank + cl.sent*cl.opts.WorldSize; index != next || len(tree) > cl.opts.MaxTreeBytes {
		return fmt.Errorf("forestnet: rank %d: tree %d of %d bytes: the next tree is %d, of at most %d bytes", cl.rank, index, len(tree), next, cl.opts.MaxTreeBytes)
	}
	if err := cl.c.write(typeTree, append(u32(index), tree...)); err != nil {
		return fmt.Errorf("forestnet: rank %d: send tree %d to rank 0: %w", cl.rank, index, err)
	}
	cl.sent++
	return nil
}

// Finish tells rank 0 all trees are sent and waits for its answer: nil
// when rank 0 took them, else its reason.
func (cl *Client) Finish(ctx context.Context) error {
	defer watch(ctx, cl.c.c)()
	if err := cl.c.write(typeDone, u32(cl.sent)); err != nil {
		return fmt.Errorf("forestnet: rank %d: finish: %w", cl.rank, err)
	}
	typ, p, err := cl.c.read(maxMessage + 1)
	switch {
	case err != nil:
		return fmt.Errorf("forestnet: rank %d: rank 0 did not confirm the trees: %w", cl.rank, err)
	case typ != typeResult || len(p) == 0:
		return fmt.Errorf("forestnet: rank %d: %w: rank 0 answered frame %q", cl.rank, ErrProtocol, typ)
	case p[0] != 0:
		return fmt.Errorf("forestnet: rank %d: rank 0 refused the trees: %s", cl.rank, p[1:])
	}
	return nil
}

// Fail tells rank 0 that this rank failed with err, so that the job's error
// names it, and closes the connection.
func (cl *Client) Fail(err error) error {
	werr := cl.c.write(typeError, text(err.Error()))
	cl.c.c.Close()
	return werr
}

// Close closes the connection.
func (cl *Client) Close() error { return cl.c.c.Close() }
