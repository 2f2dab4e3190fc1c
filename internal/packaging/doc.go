// Package packaging holds the tests of what ships around the sspr binary, at the repository's
// root and under packaging/: the container image (Containerfile, built with buildah), the
// systemd unit (packaging/sspr.service, checked with systemd-analyze) and the example
// configuration (sspr.example.yaml, loaded by the configuration loader and checked to document
// every key the configuration structs accept). It has no code of its own.
//
//	Containerfile          image_test.go    make image; the image's /sspr version and serve
//	packaging/sspr.service systemd_test.go  systemd-analyze verify; security exposure ≤ 2.0
//	sspr.example.yaml      example_test.go  config.Load accepts it; every yaml key is in it
//	LICENSE                license_test.go  the whole Apache License 2.0
package packaging
