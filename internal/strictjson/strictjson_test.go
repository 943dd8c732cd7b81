package strictjson_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/inferd/inferd/internal/strictjson"
)

func TestDecode(t *testing.T) {
	type body struct {
		A int `json:"a"`
		B any `json:"b"`
	}
	tests := []struct {
		name      string
		in        string
		useNumber bool
		want      body
		wantErr   error  // matched with errors.Is, when set
		wantText  string // a part of the error, when set
	}{
		{name: "one value", in: `{"a": 1}`, want: body{A: 1}},
		{name: "white space after", in: "{\"a\": 2}\n\t ", want: body{A: 2}},
		{name: "number kept", in: `{"b": 12345678901234567890}`, useNumber: true, want: body{B: json.Number("12345678901234567890")}},
		{name: "float without useNumber", in: `{"b": 1.5}`, want: body{B: 1.5}},
		{name: "unknown field", in: `{"c": 1}`, wantText: `unknown field "c"`},
		{name: "trailing value", in: `{"a": 1} {"a": 2}`, wantErr: strictjson.ErrTrailing},
		{name: "trailing garbage", in: `{"a": 1} x`, wantErr: strictjson.ErrTrailing},
		{name: "syntax", in: `{"a": }`, wantText: "invalid character"},
		{name: "wrong type", in: `{"a": "x"}`, wantText: "cannot unmarshal string"},
		{name: "empty", in: ``, wantText: "EOF"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got body
			err := strictjson.Decode(strings.NewReader(tt.in), &got, tt.useNumber)
			switch {
			case tt.wantErr != nil:
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("error %v, want %v", err, tt.wantErr)
				}
			case tt.wantText != "":
				if err == nil || !strings.Contains(err.Error(), tt.wantText) {
					t.Fatalf("error %v, want one containing %q", err, tt.wantText)
				}
			case err != nil:
				t.Fatalf("unexpected error %v", err)
			case got != tt.want:
				t.Fatalf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}
