package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"image"
	_ "image/png" // the only format it decodes
	"log"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// maxBody bounds a request body, as inferd's --max-body-bytes does.
const maxBody = 32 << 20

func main() {
	addr := flag.String("addr", "127.0.0.1:8090", "address to listen on")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := serve(ctx, *addr); err != nil {
		log.Fatal(err)
	}
}

// serve answers POST requests on every path until ctx is done.
func serve(ctx context.Context, addr string) error {
	srv := &http.Server{Addr: addr, Handler: http.HandlerFunc(decode), ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return err
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// decode answers {"width": W, "height": H} for a PNG body.
func decode(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	if r.Method != http.MethodPost {
		w.WriteHeader(http.StatusMethodNotAllowed)
		fmt.Fprintf(w, `{"error": "method %s; POST a PNG"}`+"\n", r.Method)
		return
	}
	img, _, err := image.Decode(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, `{"error": %q}`+"\n", "not a PNG: "+err.Error())
		return
	}
	b := img.Bounds()
	fmt.Fprintf(w, `{"width": %d, "height": %d}`+"\n", b.Dx(), b.Dy())
}
