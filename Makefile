# Shortcuts to the scripts in scripts/; each also runs on its own.
.PHONY: install build test serve

# install: inferd, with its version and commit, into $GOBIN or $(go env GOPATH)/bin.
install:
	scripts/install.sh

# build: the same binary into bin/inferd.
build:
	scripts/install.sh -o bin/inferd

# test: set up and run the whole test suite (what CI runs).
test:
	scripts/test.sh

# serve: build bin/inferd and serve examples/models on 127.0.0.1:8080.
serve:
	scripts/serve-examples.sh
