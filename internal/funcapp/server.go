package funcapp

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/rs/zerolog"
)

// ShutdownGrace is how long Serve waits for running invocations after its
// context is canceled (SIGTERM).
const ShutdownGrace = 25 * time.Second

// Serve listens on 127.0.0.1:port, the only address the Functions host
// calls, and serves h until ctx is canceled; then it stops accepting
// connections and waits up to ShutdownGrace for running requests.
func Serve(ctx context.Context, port int, h http.Handler, log zerolog.Logger) error {
	ln, err := Listen(port)
	if err != nil {
		return err
	}
	return ServeListener(ctx, ln, h, log)
}

// Listen opens 127.0.0.1:port, the only address the Functions host calls.
func Listen(port int) (net.Listener, error) {
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s (FUNCTIONS_CUSTOMHANDLER_PORT): %w", addr, err)
	}
	return ln, nil
}

// ServeListener is Serve on an existing listener.
func ServeListener(ctx context.Context, ln net.Listener, h http.Handler, log zerolog.Logger) error {
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       120 * time.Second,
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	log.Info().Str("addr", ln.Addr().String()).Msg("handler listening")
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	log.Info().Msg("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), ShutdownGrace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
