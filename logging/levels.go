package logging

import (
	"strconv"

	"go.uber.org/zap/zapcore"
)

// Python's level numbers.
const (
	levelNotset   = 0
	levelDebug    = 10
	levelInfo     = 20
	levelWarning  = 30
	levelError    = 40
	levelCritical = 50
)

// levelNames are the names Python's logging accepts in a config file
// (case-sensitive, as logging._checkLevel is).
var levelNames = map[string]int{
	"CRITICAL": levelCritical, "FATAL": levelCritical, "ERROR": levelError,
	"WARNING": levelWarning, "WARN": levelWarning, "INFO": levelInfo,
	"DEBUG": levelDebug, "NOTSET": levelNotset,
}

// pyLevel maps a zap level to Python's number: Debug 10, Info 20, Warn 30,
// Error 40, DPanic/Panic/Fatal 50 (CRITICAL).
func pyLevel(l zapcore.Level) int {
	switch {
	case l <= zapcore.DebugLevel:
		return levelDebug
	case l == zapcore.InfoLevel:
		return levelInfo
	case l == zapcore.WarnLevel:
		return levelWarning
	case l == zapcore.ErrorLevel:
		return levelError
	}
	return levelCritical
}

// zapLevel maps a Python level threshold to the lowest zap level that passes
// it (NOTSET and DEBUG → Debug, CRITICAL → DPanic).
func zapLevel(n int) zapcore.Level {
	switch {
	case n <= levelDebug:
		return zapcore.DebugLevel
	case n <= levelInfo:
		return zapcore.InfoLevel
	case n <= levelWarning:
		return zapcore.WarnLevel
	case n <= levelError:
		return zapcore.ErrorLevel
	}
	return zapcore.DPanicLevel
}

// levelName is %(levelname)s: Python's name for a level number.
func levelName(n int) string {
	switch n {
	case levelCritical:
		return "CRITICAL"
	case levelError:
		return "ERROR"
	case levelWarning:
		return "WARNING"
	case levelInfo:
		return "INFO"
	case levelDebug:
		return "DEBUG"
	case levelNotset:
		return "NOTSET"
	}
	return "Level " + strconv.Itoa(n)
}
