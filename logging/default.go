package logging

import (
	"io"
	"os"
	"sync"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// Default returns a logger for when a file has no logging sections: zap's
// human-readable console encoder when w is a terminal, JSON lines otherwise,
// showing entries at level and above of every logger.
func Default(w io.Writer, level zapcore.Level) *zap.Logger {
	cfg := zap.NewProductionEncoderConfig()
	cfg.EncodeTime = zapcore.ISO8601TimeEncoder
	var enc zapcore.Encoder
	if isTerminal(w) {
		cfg.EncodeLevel = zapcore.CapitalLevelEncoder
		enc = zapcore.NewConsoleEncoder(cfg)
	} else {
		enc = zapcore.NewJSONEncoder(cfg)
	}
	ws := zapcore.Lock(zapcore.AddSync(w))
	return zap.New(zapcore.NewCore(enc, ws, level), zap.ErrorOutput(ws))
}

// BasicConfig returns the logger that the pserve reference (§7.1) describes
// for files without [loggers]: Python's logging.basicConfig() — root at
// WARNING, one output in the "LEVELNAME:logger.name:message" format — plus
// the waitress logger at INFO as waitress-serve sets it, so that
// "INFO:waitress:Serving on http://…" is shown.
func BasicConfig(w io.Writer) *zap.Logger {
	out := &streamOutput{mu: &sync.Mutex{}, w: w}
	h := &handler{name: "basic", fmt: mustText("%(levelname)s:%(name)s:%(message)s"), out: out}
	loggers := map[string]*pyLogger{
		"":         {name: "", level: levelWarning, handlers: []*handler{h}, propagate: true},
		"waitress": {name: "waitress", level: levelInfo, propagate: true},
	}
	c := &core{r: newRouter(loggers, nil)}
	return zap.New(c, zap.ErrorOutput(zapcore.AddSync(w)))
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	info, err := f.Stat()
	return err == nil && info.Mode()&os.ModeCharDevice != 0
}
