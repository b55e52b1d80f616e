# kds - top-level Makefile.
#
#   make                 build the modules for the running kernel (or KVER=...)
#   make tools           build kdsctl and libkds
#   make check           the whole test suite (see README.md); KERNELS="6.1 7.3"
#                        runs a subset of the kernel lines; the debug kernel
#                        joins when make check-debug has built it
#   make check-debug     the debug kernel alone (KASAN, lockdep, kmemleak, fault
#                        injection, KUnit; built and cached on first use):
#                        docs/RELIABILITY.md
#   make check-arch      the packages installed on i386 and arm64 (chroots
#                        through qemu-user, DKMS's modules booted there;
#                        about 50 minutes an architecture cold, so not in
#                        make check; KDS_ARCH_PKG="i386" for one)
#   make vm-shell KERNEL=6.1   boot one kernel line with the modules loaded
#                        and give an interactive shell
#   make bench           kdsctl bench in a VM (instruction counts under
#                        -icount): writes bench/RESULTS.md and the plot
#   make deb / make rpm  packages (see mk/packaging.mk); as root they install
#                        their build dependencies, as a user they say the
#                        apt-get line to run
#   make check-secureboot  install, enrol DKMS's key in MokManager, load under
#                        lockdown, in a VM booted by shim and GRUB under OVMF's
#                        Secure Boot firmware (tests/e2e/secureboot.sh; on
#                        request, not in make check)
#   make repo            the packages as a signed apt repository and an rpm
#                        repository in build/pkg/repo, with the public key,
#                        kds.sources and kds.repo (see mk/repo.mk); the key is
#                        KDS_SIGNING_KEY=<id> or one made once in KDS_CACHE

TOP := $(CURDIR)
KVER ?= $(shell uname -r)
KDIR ?= /lib/modules/$(KVER)/build
KDS_CACHE ?= /var/cache/kds-test

.PHONY: all modules tools check check-arch check-debug bench vm-shell clean

all: modules

modules:
	$(MAKE) -C $(KDIR) M=$(TOP)/src modules

tools:
	$(MAKE) -C tools

check:
	bash tests/vm/check.sh

# The package installs of other architectures, too slow for make check:
# the packaging checks and foreign.sh, without the amd64 VMs.
KDS_ARCH_PKG ?= i386 arm64

check-arch:
	E2E_RELEASES= E2E_FRESH=0 E2E_FOREIGN="$(KDS_ARCH_PKG)" $(MAKE) --no-print-directory check-pkg

# The debug kernel's run is long (10^6 fuzzed calls per backend, 60 s of
# stress, 200 load cycles under KASAN and lockdep): it is split over
# boots, each with its own VM timeout: stress and load cycles; KUnit and
# the functional and fault programs; the fuzzer, one boot per backend.
KDS_BACKENDS := list hash rbtree xarray maple
KDS_DEBUG_PARTS ?= KDS_TESTS=92,93|KDS_SKIP=91,92,93$(foreach b,$(KDS_BACKENDS),|KDS_TESTS=91 KDS_BACKENDS=$(b))

check-debug:
	KERNELS=debug KDS_DEBUG=1 KDS_E2E=0 KDS_VM_TIMEOUT=$${KDS_VM_TIMEOUT:-5400} \
		KDS_DEBUG_PARTS='$(KDS_DEBUG_PARTS)' bash tests/vm/check.sh

bench:
	bash bench/run.sh

vm-shell:
	@test -n "$(KERNEL)" || { echo "usage: make vm-shell KERNEL=<line> (one of: 6.1 6.12-bpo 6.12 7.3 sid)"; exit 2; }
	KERNELS="$(KERNEL)" KDS_SHELL=1 KDS_E2E=0 bash tests/vm/check.sh

clean:
	$(MAKE) -C $(KDIR) M=$(TOP)/src clean 2>/dev/null || true
	$(MAKE) -C tools clean
	rm -rf build

-include mk/packaging.mk
