package server

import (
	"log/slog"
	"testing"
)

// The level of each kind of request, and which modes log it.
func TestAccessLogDecide(t *testing.T) {
	const no = slog.Level(-100) // not logged
	tests := []struct {
		name   string
		status int
		probe  bool
		want   map[AccessLogMode]slog.Level
	}{
		{"success", 200, false, map[AccessLogMode]slog.Level{AccessLogAll: slog.LevelInfo, AccessLogErrors: no, AccessLogOff: no}},
		{"successful probe", 200, true, map[AccessLogMode]slog.Level{AccessLogAll: no, AccessLogErrors: no, AccessLogOff: no}},
		{"client error", 404, false, map[AccessLogMode]slog.Level{AccessLogAll: slog.LevelInfo, AccessLogErrors: slog.LevelInfo, AccessLogOff: no}},
		{"client gone", 499, false, map[AccessLogMode]slog.Level{AccessLogAll: slog.LevelInfo, AccessLogErrors: slog.LevelInfo, AccessLogOff: no}},
		{"unavailable", 503, false, map[AccessLogMode]slog.Level{AccessLogAll: slog.LevelWarn, AccessLogErrors: slog.LevelWarn, AccessLogOff: slog.LevelWarn}},
		{"not ready", 503, true, map[AccessLogMode]slog.Level{AccessLogAll: slog.LevelInfo, AccessLogErrors: slog.LevelInfo, AccessLogOff: no}},
		{"server error", 500, false, map[AccessLogMode]slog.Level{AccessLogAll: slog.LevelError, AccessLogErrors: slog.LevelError, AccessLogOff: slog.LevelError}},
		{"failed probe", 500, true, map[AccessLogMode]slog.Level{AccessLogAll: slog.LevelError, AccessLogErrors: slog.LevelError, AccessLogOff: slog.LevelError}},
	}
	for _, tt := range tests {
		for mode, want := range tt.want {
			a := &accessLog{mode: mode, sample: 1}
			level, ok := a.decide(tt.status, tt.probe)
			if !ok {
				level = no
			}
			if level != want {
				t.Errorf("%s in mode %s: level %v, want %v", tt.name, mode, level, want)
			}
		}
	}
}

func TestRequestID(t *testing.T) {
	tests := []struct {
		given string
		kept  bool
	}{
		{"abc-123", true},
		{"", false},
		{"has space", false},
		{"tab\there", false},
		{"é", false},
		{string(make([]byte, 129)), false},
	}
	for _, tt := range tests {
		got := requestID(tt.given)
		if (got == tt.given) != tt.kept || !tt.kept && len(got) != 24 {
			t.Errorf("requestID(%q) = %q, kept %v", tt.given, got, tt.kept)
		}
	}
}
