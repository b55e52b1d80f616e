# kds package repositories: included by mk/packaging.mk.
#
#   make repo   the .debs and .rpms as a signed apt repository and an rpm
#               repository in $(REPO_OUT) (mk/repo.sh says what is where),
#               with the public key and the kds.sources and kds.repo files
#               users install from
#
# REPO_URL is where the directory will be served (default file://$(REPO_OUT)),
# written into kds.sources and kds.repo.  The key is KDS_SIGNING_KEY (a key id
# in your gpg keyring) or else one created once in $(REPO_GNUPGHOME).
# REPO_BUILD= takes the packages already in $(PKG_OUT) instead of building
# them again (make check-pkg, right after make deb and make rpm).

REPO_OUT	?= $(PKG_OUT)/repo
REPO_SUITE	?= stable
REPO_URL	?= file://$(REPO_OUT)
REPO_GNUPGHOME	?= $(KDS_CACHE)/repo-signing-key
KDS_SIGNING_KEY	?=
REPO_BUILD	?= deb rpm
# REPO_KINDS=deb makes the apt repository alone (the e2e's, whose next
# version has no rpms).
REPO_KINDS	?= deb rpm
REPO_DEBS	:= apt-utils createrepo-c gnupg

.PHONY: repo repo-deps

repo-deps:
	@$(PKG_NEED) repo $(REPO_DEBS)

repo: repo-deps $(REPO_BUILD)
	@PKG_OUT='$(PKG_OUT)' PKG_VERSION='$(PKG_VERSION)' PKG_DEB_VERSION='$(PKG_DEB_VERSION)' REPO_OUT='$(REPO_OUT)' \
		REPO_SUITE='$(REPO_SUITE)' REPO_URL='$(REPO_URL)' REPO_KINDS='$(REPO_KINDS)' \
		REPO_GNUPGHOME='$(REPO_GNUPGHOME)' KDS_SIGNING_KEY='$(KDS_SIGNING_KEY)' \
		bash $(PKG_MK)repo.sh
