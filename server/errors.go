package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	v2 "github.com/inferd/inferd/api/v2"
	"github.com/inferd/inferd/batch"
	"github.com/inferd/inferd/engine"
	"github.com/inferd/inferd/preprocess"
	"github.com/inferd/inferd/serving"
	"github.com/inferd/inferd/serving/runner"
	"github.com/inferd/inferd/tensor"
)

// httpError is an error with an explicit status code.
type httpError struct {
	code int
	err  error
}

func (e *httpError) Error() string { return e.err.Error() }
func (e *httpError) Unwrap() error { return e.err }

// errorf returns an error that maps to code.
func errorf(code int, format string, args ...any) error {
	return &httpError{code: code, err: fmt.Errorf(format, args...)}
}

// statusOf maps an error to an HTTP status code. It is the only place that
// does so; gRPC codes derive from it (grpcCodeOf).
func statusOf(err error) int {
	var he *httpError
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &he):
		return he.code
	case errors.As(err, &mbe):
		return http.StatusRequestEntityTooLarge
	case errors.Is(err, preprocess.ErrImageTooLarge):
		return http.StatusRequestEntityTooLarge
	case errors.Is(err, batch.ErrQueueFull):
		return http.StatusTooManyRequests
	case errors.Is(err, serving.ErrNotFound):
		return http.StatusNotFound
	case errors.Is(err, serving.ErrUnavailable), errors.Is(err, runner.ErrClosed):
		return http.StatusServiceUnavailable
	case errors.Is(err, engine.ErrInvalidInput), errors.Is(err, preprocess.ErrBadImage), errors.Is(err, tensor.ErrJSON), errors.Is(err, v2.ErrInvalid), errors.Is(err, serving.ErrInvalid):
		return http.StatusBadRequest
	case errors.Is(err, os.ErrDeadlineExceeded):
		// The connection's read deadline (--read-timeout) passed while the
		// body was being read: the client was too slow.
		return http.StatusRequestTimeout
	case errors.Is(err, context.DeadlineExceeded):
		return http.StatusGatewayTimeout
	case errors.Is(err, context.Canceled):
		return 499 // client closed the request (nginx's convention)
	}
	if st, ok := status.FromError(err); ok {
		return httpStatusOfCode(st.Code()) // from gRPC services other than inferd's
	}
	return http.StatusInternalServerError
}

// httpStatusOfCode is the HTTP status whose gRPC code (grpcCode) is c, for
// errors that are already gRPC statuses.
func httpStatusOfCode(c codes.Code) int {
	for _, h := range []int{http.StatusOK, http.StatusBadRequest, http.StatusNotFound, http.StatusMethodNotAllowed, http.StatusUnauthorized, http.StatusForbidden,
		http.StatusTooManyRequests, 499, http.StatusServiceUnavailable, http.StatusGatewayTimeout, http.StatusPreconditionFailed} {
		if grpcCode(h) == c {
			return h
		}
	}
	return http.StatusInternalServerError
}

// grpcCodeOf maps an error to a gRPC status code: the code of the HTTP
// status statusOf gives it, so that an error is the same over every
// protocol.
func grpcCodeOf(err error) codes.Code { return grpcCode(statusOf(err)) }

// grpcCode is the gRPC code of an HTTP status.
func grpcCode(httpStatus int) codes.Code {
	switch httpStatus {
	case http.StatusOK:
		return codes.OK
	case http.StatusBadRequest, http.StatusUnsupportedMediaType:
		return codes.InvalidArgument
	case http.StatusNotFound:
		return codes.NotFound
	case http.StatusUnauthorized:
		return codes.Unauthenticated
	case http.StatusForbidden:
		return codes.PermissionDenied
	case http.StatusMethodNotAllowed:
		return codes.Unimplemented
	case http.StatusRequestEntityTooLarge, http.StatusTooManyRequests:
		return codes.ResourceExhausted
	case 499:
		return codes.Canceled
	case http.StatusServiceUnavailable:
		return codes.Unavailable
	case http.StatusGatewayTimeout, http.StatusRequestTimeout:
		return codes.DeadlineExceeded
	}
	if httpStatus >= 400 && httpStatus < 500 {
		return codes.FailedPrecondition
	}
	return codes.Internal
}

// grpcError turns an error into a gRPC status error with the same message
// the HTTP answer has.
func grpcError(err error) error {
	if err == nil {
		return nil
	}
	if _, ok := status.FromError(err); ok {
		return err
	}
	return status.Error(grpcCodeOf(err), errorMessage(err))
}

// errorBody is the JSON body of every error answer.
type errorBody struct {
	Error string `json:"error"`
}

// writeError writes err as {"error": "..."} with its status code.
func writeError(w http.ResponseWriter, err error) int {
	code := statusOf(err)
	writeJSON(w, code, errorBody{Error: errorMessage(err)})
	return code
}

// errorMessage is the message an error answer carries.
func errorMessage(err error) string {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return fmt.Sprintf("request body is larger than the limit of %d bytes", mbe.Limit)
	}
	return err.Error()
}

// writeJSON writes v as JSON with the given status.
func writeJSON(w http.ResponseWriter, code int, v any) {
	body, err := encodeAnswer(v)
	if err != nil {
		code = http.StatusInternalServerError
		body, _ = json.Marshal(errorBody{Error: "encoding the answer: " + err.Error()})
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_, _ = w.Write(append(body, '\n'))
}
