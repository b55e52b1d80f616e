# kds - top-level Makefile.
#
#   make                 build the modules for the running kernel (or KVER=...)
#   make tools           build kdsctl and libkds
#   make check           the whole test suite (see README.md); KERNELS="6.1 7.3"
#                        runs a subset of the kernel lines
#   make vm-shell KERNEL=6.1   boot one kernel line with the modules loaded
#                        and give an interactive shell
#   make deb / make rpm  packages (see mk/packaging.mk)

TOP := $(CURDIR)
KVER ?= $(shell uname -r)
KDIR ?= /lib/modules/$(KVER)/build
KDS_CACHE ?= /var/cache/kds-test

.PHONY: all modules tools check vm-shell clean

all: modules

modules:
	$(MAKE) -C $(KDIR) M=$(TOP)/src modules

tools:
	$(MAKE) -C tools

check:
	bash tests/vm/check.sh

vm-shell:
	@test -n "$(KERNEL)" || { echo "usage: make vm-shell KERNEL=<line> (one of: 6.1 6.12-bpo 6.12 7.3 sid)"; exit 2; }
	KERNELS="$(KERNEL)" KDS_SHELL=1 KDS_E2E=0 bash tests/vm/check.sh

clean:
	$(MAKE) -C $(KDIR) M=$(TOP)/src clean 2>/dev/null || true
	$(MAKE) -C tools clean
	rm -rf build

-include mk/packaging.mk
