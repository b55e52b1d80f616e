# kds packaging: included by the top-level Makefile (TOP, KDS_CACHE).
#
#   make deb        kds-dkms_<v>_all.deb, kds-utils_<v>_<arch>.deb and
#                   libkds-dev_<v>_<arch>.deb (<v>: debian/changelog's)
#   make rpm        kds-dkms-<v>-1.noarch.rpm, kds-utils-<v>-1.<arch>.rpm,
#                   kds-devel-<v>-1.<arch>.rpm, .src.rpm
#   make lintian    lintian on the debs: no error, no warning
#   make rpmlint    rpmlint on the spec and the rpms: no error, no warning
#   make demo       boot a Debian VM with the packages installed, show a tour
#   make check-pkg  all of the above checks plus the end-to-end test in full
#                   Debian VMs (tests/e2e), part of `make check` (KDS_E2E=0
#                   skips it there); E2E_RELEASES="bookworm" for one release,
#                   E2E_PARALLEL=0 to run the releases one after the other
#   make check-secureboot  the Secure Boot end-to-end test (tests/e2e/
#                   secureboot.sh): on request, not part of make check
#   make pkg-deps   install the host tools these need (apt-get); make deb and
#                   make rpm install their own build dependencies
#   make repo       signed apt and rpm repositories of the packages (mk/repo.mk)
#
# Products go to $(PKG_OUT) (build/pkg); the VM images are cached in
# $(KDS_CACHE)/e2e.

TOP		?= $(CURDIR)
# This file's directory, which holds need.sh and repo.mk: TOP may be
# another tree (rpm-scriptlets.sh builds a copy of the stage tree).
PKG_MK		:= $(abspath $(dir $(lastword $(MAKEFILE_LIST))))/
KDS_CACHE	?= /var/cache/kds-test
PKG_OUT		?= $(TOP)/build/pkg
PKG_VERSION	:= $(shell cat $(TOP)/src/VERSION 2>/dev/null)
# The changelog's version as in the .deb's name (a downstream revision
# such as 0.1.0-1 or 0.1.0+deb12u1 included, the epoch left out).  Read
# when used, not when make starts: on a fresh machine dpkg-parsechangelog
# is there only once make deb has installed dpkg-dev.
PKG_DEB_VERSION	= $(shell dpkg-parsechangelog -l $(TOP)/debian/changelog -S Version \
		     2>/dev/null | sed 's/^[0-9]*://')
PKG_STAGE	:= $(PKG_OUT)/stage/kds-$(PKG_VERSION)
DEB_ARCH	:= $(shell dpkg --print-architecture 2>/dev/null)
RPM_ARCH	:= $(shell uname -m)
E2E_RELEASES	?= bookworm trixie
E2E_PARALLEL	?= 1
SB_UPGRADE	?= 0

PKG_DEBS	= $(PKG_OUT)/kds-dkms_$(PKG_DEB_VERSION)_all.deb \
		   $(PKG_OUT)/kds-utils_$(PKG_DEB_VERSION)_$(DEB_ARCH).deb \
		   $(PKG_OUT)/libkds-dev_$(PKG_DEB_VERSION)_$(DEB_ARCH).deb
PKG_RPMS	:= $(PKG_OUT)/kds-dkms-$(PKG_VERSION)-1.noarch.rpm \
		   $(PKG_OUT)/kds-utils-$(PKG_VERSION)-1.$(RPM_ARCH).rpm \
		   $(PKG_OUT)/kds-devel-$(PKG_VERSION)-1.$(RPM_ARCH).rpm

# What the packages are built from: the tree less everything else (tests,
# benchmarks, the top-level Makefile).
PKG_TREE	:= README.md COPYING dkms.conf src tools debian rpm udev modprobe.d modules-load.d sysusers.d systemd
PKG_EXCLUDES	:= --exclude-vcs --exclude='*.o' --exclude='*.ko' --exclude='*.ko.*' \
		   --exclude='*.mod' --exclude='*.mod.c' --exclude='.*.cmd' --exclude='.*.d' \
		   --exclude=modules.order --exclude=Module.symvers --exclude='.tmp_*' \
		   --exclude='*.a' --exclude=tools/kdsctl

# What make deb and make rpm need is installed by them when it is missing
# (mk/need.sh: as root, apt-get; as a user, the apt-get line to run): deb
# the Build-Depends of debian/control (apt-get build-dep), rpm rpmbuild and
# a C toolchain, both dpkg-parsechangelog.  pkg-deps installs, beyond
# those, what make check-pkg runs.
RPM_BUILD_DEBS	:= rpm dpkg-dev gcc make libc6-dev
PKG_HOST_DEBS	= dpkg-dev debhelper dh-dkms fakeroot lintian rpm rpmlint mmdebstrap \
		   qemu-system-x86 qemu-system-arm qemu-user-static arch-test e2fsprogs gcc make libc6-dev \
		   $(REPO_DEBS)
PKG_NEED	:= bash $(PKG_MK)need.sh
PKG_GOAL	= pkg-version-check

.PHONY: deb rpm lintian rpmlint demo check-pkg check-secureboot pkg-deps deb-deps rpm-deps pkg-version-check \
	pkg-stage

pkg-deps:
	@$(PKG_NEED) check-pkg $(PKG_HOST_DEBS)

deb-deps:
	@$(PKG_NEED) deb --build-dep $(TOP)

rpm-deps:
	@$(PKG_NEED) rpm $(RPM_BUILD_DEBS)

# src/VERSION is the one source of the version; the files that must repeat
# it are checked here, loudly, before anything is built.  Of the changelog's
# version only the upstream part counts: the epoch, the Debian revision
# (after the last '-') and a local suffix (from the first '+') are a
# downstream's own, so 0.1.0-1, 0.1.0+deb12u1 and 0.1.0-1ubuntu1 are 0.1.0.
# A missing dpkg-parsechangelog is said as such, not as a mismatch.
pkg-version-check:
	@command -v dpkg-parsechangelog >/dev/null 2>&1 || { \
		echo "make $(PKG_GOAL): dpkg-parsechangelog not found: apt-get install dpkg-dev" >&2; \
		exit 1; }; \
	v='$(PKG_VERSION)'; \
	d=$$(sed -n 's/^PACKAGE_VERSION="\(.*\)"$$/\1/p' $(TOP)/dkms.conf); \
	c=$$(dpkg-parsechangelog -l $(TOP)/debian/changelog -S Version) || exit 1; \
	u=$${c#*:}; case "$$u" in *-*) u=$${u%-*} ;; esac; u=$${u%%+*}; \
	s=$$(sed -n 's/^Version:[[:space:]]*//p' $(TOP)/rpm/kds.spec); \
	if [ -z "$$v" ] || [ "$$d" != "$$v" ] || [ "$$u" != "$$v" ] || [ "$$s" != "$$v" ]; then \
		echo "VERSION MISMATCH: src/VERSION='$$v' dkms.conf='$$d'" \
		     "debian/changelog='$$c' (upstream part '$$u') rpm/kds.spec='$$s'" >&2; \
		echo "Set all four to the version in src/VERSION (the changelog's" \
		     "upstream part)." >&2; \
		exit 1; \
	fi

pkg-stage: pkg-version-check
	rm -rf $(PKG_OUT)/stage
	mkdir -p $(PKG_STAGE)
	tar -C $(TOP) $(PKG_EXCLUDES) -cf - $(PKG_TREE) | tar -C $(PKG_STAGE) -xf -

deb: PKG_GOAL = deb
deb: deb-deps pkg-stage
	rm -f $(PKG_OUT)/kds-dkms_*.deb $(PKG_OUT)/kds-utils_*.deb $(PKG_OUT)/libkds-dev_*.deb \
		$(PKG_OUT)/kds_*.changes $(PKG_OUT)/kds_*.buildinfo
	cd $(PKG_STAGE) && DEB_BUILD_OPTIONS="noddebs $$DEB_BUILD_OPTIONS" dpkg-buildpackage -b -us -uc
	mv $(PKG_OUT)/stage/*.deb $(PKG_OUT)/stage/*.changes $(PKG_OUT)/stage/*.buildinfo \
		$(PKG_OUT)/
	@ls -l $(PKG_DEBS)

lintian:
	@for f in $(PKG_DEBS); do \
		test -f $$f || { echo "lintian: no $$f: run 'make deb' first" >&2; exit 1; }; \
	done
	lintian --fail-on error,warning --info --display-info $(PKG_DEBS)

# rpmbuild runs with --nodeps: on Debian the build tools come from dpkg, and
# rpm's database knows none of them.
rpm: PKG_GOAL = rpm
rpm: rpm-deps pkg-stage
	rm -rf $(PKG_OUT)/rpmbuild
	mkdir -p $(PKG_OUT)/rpmbuild/SOURCES
	tar -C $(PKG_OUT)/stage -czf $(PKG_OUT)/rpmbuild/SOURCES/kds-$(PKG_VERSION).tar.gz \
		kds-$(PKG_VERSION)
	rpmbuild -ba --nodeps --define '_topdir $(PKG_OUT)/rpmbuild' $(TOP)/rpm/kds.spec
	rm -f $(PKG_OUT)/*.rpm
	find $(PKG_OUT)/rpmbuild/RPMS $(PKG_OUT)/rpmbuild/SRPMS -name '*.rpm' \
		! -name '*-debuginfo-*' ! -name '*-debugsource-*' -exec mv {} $(PKG_OUT)/ \;
	@ls -l $(PKG_OUT)/*.rpm

rpmlint:
	@for f in $(PKG_RPMS); do \
		test -f $$f || { echo "rpmlint: no $$f: run 'make rpm' first" >&2; exit 1; }; \
	done
	rpmlint --rpmlintrc $(TOP)/rpm/kds.rpmlintrc $(TOP)/rpm/kds.spec $(PKG_RPMS) \
		$(PKG_OUT)/kds-$(PKG_VERSION)-1.src.rpm

demo: deb
	KDS_CACHE=$(KDS_CACHE) bash $(TOP)/tests/e2e/run.sh --demo bookworm

check-pkg: pkg-deps
	KDS_CACHE=$(KDS_CACHE) PKG_OUT=$(PKG_OUT) E2E_RELEASES="$(E2E_RELEASES)" \
		E2E_PARALLEL=$(E2E_PARALLEL) bash $(TOP)/tests/e2e/check-pkg.sh

# Path 5 of the packaging contract on a VM that boots as a Secure Boot PC
# does (tests/e2e/secureboot.sh): on request only, not in make check.
# SB_UPGRADE=1 adds the kernel upgrade (over 40 minutes more under TCG).
check-secureboot: deb
	KDS_CACHE=$(KDS_CACHE) PKG_OUT=$(PKG_OUT) SB_UPGRADE=$(SB_UPGRADE) \
		bash $(TOP)/tests/e2e/secureboot.sh

include $(PKG_MK)repo.mk
