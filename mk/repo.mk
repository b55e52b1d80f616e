REPO_DEBS := apt-utils createrepo-c gnupg
