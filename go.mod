module github.com/gowaitress/gowaitress

go 1.26.8

require (
	go.uber.org/zap v1.28.0
	golang.org/x/crypto v0.59.0
	gopkg.in/ini.v1 v1.67.3
)

require go.uber.org/multierr v1.10.0 // indirect
