package logging

import (
	"io"
	"path/filepath"
	"testing"

	"go.uber.org/zap"
)

func BenchmarkGenericFormatter(b *testing.B) {
	s, ok, err := FromFile(filepath.Join(corpus, "none", "development.ini"), nil, WithStreams(io.Discard, io.Discard))
	if err != nil || !ok {
		b.Fatal(err)
	}
	defer s.Close()
	l := s.Logger().Named("waitress")
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		l.Info("Serving on http://127.0.0.1:6543", zap.Int("n", i))
	}
}
