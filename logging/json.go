package logging

import (
	"bytes"
	"slices"
	"strconv"

	"go.uber.org/zap/zapcore"
)

// jsonFormatter is the `class = json` extension: one JSON object per entry
// with time, level (Python's name), logger, message, caller and the
// structured fields as members.
type jsonFormatter struct{ enc zapcore.Encoder }

func newJSONFormatter() *jsonFormatter {
	cfg := zapcore.EncoderConfig{
		TimeKey: "time", LevelKey: "level", NameKey: "logger", CallerKey: "caller",
		FunctionKey: zapcore.OmitKey, MessageKey: "message", StacktraceKey: "stacktrace",
		LineEnding: "\n",
		EncodeLevel: func(l zapcore.Level, enc zapcore.PrimitiveArrayEncoder) {
			enc.AppendString(levelName(pyLevel(l)))
		},
		EncodeTime:     zapcore.ISO8601TimeEncoder,
		EncodeDuration: zapcore.StringDurationEncoder,
		EncodeCaller:   zapcore.ShortCallerEncoder,
		EncodeName:     zapcore.FullNameEncoder,
	}
	return &jsonFormatter{enc: zapcore.NewJSONEncoder(cfg)}
}

func (j *jsonFormatter) usesCaller() bool { return true }

func (j *jsonFormatter) format(b []byte, r *record) []byte {
	ent := r.ent
	ent.LoggerName = r.name
	fields := r.fields
	if len(r.with) > 0 {
		fields = append(slices.Clip(r.with), r.fields...)
	}
	buf, err := j.enc.EncodeEntry(ent, fields)
	if err != nil {
		return append(b, `{"message":`+strconv.Quote("cannot encode log entry: "+err.Error())+`}`...)
	}
	b = append(b, bytes.TrimSuffix(buf.Bytes(), []byte("\n"))...)
	buf.Free()
	return b
}
