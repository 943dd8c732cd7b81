package server

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"unicode/utf8"

	"github.com/inferd/inferd/internal/strictjson"
)

// decodeJSON decodes exactly one JSON value from r into v, strictly:
// unknown fields are errors, and so is anything after the value (trailing
// is the message then; "" for the default). With useNumber, numbers decode
// into interface values as json.Number. Every JSON request body of every
// protocol is read through it.
func decodeJSON(r io.Reader, v any, useNumber bool, trailing string) error {
	err := strictjson.Decode(r, v, useNumber)
	switch {
	case errors.Is(err, strictjson.ErrTrailing):
		if trailing == "" {
			trailing = "request body has data after the JSON object"
		}
		return errorf(http.StatusBadRequest, "%s", trailing)
	case err != nil:
		return jsonError(err)
	}
	return nil
}

// validUTF8 refuses a JSON body that is not valid UTF-8, saying where and,
// with hint, how to send what is not text.
func validUTF8(body []byte, hint string) error {
	if utf8.Valid(body) {
		return nil
	}
	return errorf(http.StatusBadRequest, "request JSON is not valid UTF-8 (at byte %d); %s", invalidUTF8At(body), hint)
}

func invalidUTF8At(b []byte) int {
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size <= 1 {
			return i
		}
		i += size
	}
	return len(b)
}

// readError keeps body-limit errors (413) and read timeouts (408) and
// turns other read failures into 400.
func readError(err error) error {
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		return err
	case errors.Is(err, os.ErrDeadlineExceeded):
		return errorf(http.StatusRequestTimeout, "the request body was not received within the read timeout: %v", err)
	}
	return errorf(http.StatusBadRequest, "%v", err)
}

// jsonError describes a JSON decoding failure.
func jsonError(err error) error {
	var (
		mbe    *http.MaxBytesError
		syntax *json.SyntaxError
		typ    *json.UnmarshalTypeError
	)
	switch {
	case errors.As(err, &mbe):
		return err
	case errors.Is(err, os.ErrDeadlineExceeded):
		return readError(err)
	case errors.Is(err, io.EOF):
		return errorf(http.StatusBadRequest, "empty request body; send a JSON object")
	case errors.As(err, &syntax):
		return errorf(http.StatusBadRequest, "request body is not valid JSON: %v (at byte %d)", err, syntax.Offset)
	case errors.As(err, &typ):
		return errorf(http.StatusBadRequest, "request JSON has the wrong type at %q: want %v", typ.Field, typ.Type)
	}
	return errorf(http.StatusBadRequest, "request body is not valid JSON: %v", err)
}

// readBody reads a request body after checking its declared length
// against the limit.
func (s *Server) readBody(r *http.Request) ([]byte, error) {
	if r.ContentLength > s.maxBody {
		return nil, errorf(http.StatusRequestEntityTooLarge, "request body of %d bytes is larger than the limit of %d bytes", r.ContentLength, s.maxBody)
	}
	if r.ContentLength > 0 { // read into a buffer of the declared size: no doubling
		body := make([]byte, r.ContentLength)
		if _, err := io.ReadFull(r.Body, body); err != nil {
			return nil, readError(err)
		}
		return body, nil
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, readError(err)
	}
	return body, nil
}
