# make install / make uninstall (issue 6). Included from the Makefile, which
# defines the directory variables (PREFIX, SBINDIR, BINDIR, MANDIR,
# SYSCONFDIR, UNITDIR, CATALOGDIR, SYSUSERSDIR, DESTDIR) and the programs.
#
# Installs the two programs, the systemd unit (made from
# systemd/sockwatchd.service.in with the directories substituted), the
# journal catalog, the sysusers.d entry for the service user, the man pages
# and /etc/sockwatchd.conf, which is never overwritten once it exists; the
# metrics socket unit (not enabled) and contrib/ under DOCDIR.
#
# Never runs systemctl: enabling and starting the service is the
# administrator's decision (README.md, "Install"). Installed for real
# (DESTDIR empty), it does what a package's postinst would have to, or the
# unit could not start: systemd-sysusers creates the sockwatchd user and
# journalctl --update-catalog makes journalctl -x know the new entries. A
# staged install (DESTDIR set, for packaging) leaves both to the package.

INSTALL         ?= install
INSTALL_PROGRAM ?= $(INSTALL) -m 0755
INSTALL_DATA    ?= $(INSTALL) -m 0644
SYSTEMD_SYSUSERS ?= systemd-sysusers
JOURNALCTL      ?= journalctl

SW_MAN8     := man/sockwatchd.8 man/sockwatchctl.8
SW_MAN5     := man/sockwatchd.conf.5
SW_CONF     := conf/sockwatchd.conf
SW_CATALOG  := systemd/sockwatchd.catalog
SW_SYSUSERS := systemd/sockwatchd.sysusers
SW_UNIT_IN  := systemd/sockwatchd.service.in
SW_UNIT     := $(BUILD)/sockwatchd.service
SW_SOCKET   := systemd/sockwatchd-metrics.socket
# contrib/ (the Prometheus rules and their tests, the Grafana dashboard),
# under DOCDIR as Debian puts examples.
SW_CONTRIB  := contrib/README.md contrib/prometheus/sockwatchd.rules.yml \
               contrib/prometheus/sockwatchd.rules.test.yml contrib/grafana/sockwatchd.json

# The unit is remade on every install: the directories may differ from one
# make invocation to the next without any file changing.
.PHONY: install uninstall $(SW_UNIT)
$(SW_UNIT): $(SW_UNIT_IN)
	@mkdir -p $(@D)
	sed -e 's|@SBINDIR@|$(SBINDIR)|g' -e 's|@BINDIR@|$(BINDIR)|g' \
	    -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' $< >$@.tmp
	@if grep -n '@[A-Z_]*@' $@.tmp; then \
		echo "$<: placeholder left unsubstituted" >&2; rm -f $@.tmp; exit 1; fi
	mv $@.tmp $@

install: $(PROGS) $(SW_UNIT) $(SW_MAN8) $(SW_MAN5) $(SW_CONF) $(SW_CATALOG) $(SW_SYSUSERS) \
	 $(SW_SOCKET) $(SW_CONTRIB)
	$(INSTALL) -d -m 0755 $(DESTDIR)$(SBINDIR) $(DESTDIR)$(BINDIR) \
		$(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(UNITDIR) \
		$(DESTDIR)$(CATALOGDIR) $(DESTDIR)$(SYSUSERSDIR) $(DESTDIR)$(SYSCONFDIR) \
		$(DESTDIR)$(DOCDIR)/contrib/prometheus $(DESTDIR)$(DOCDIR)/contrib/grafana
	$(INSTALL_PROGRAM) $(DAEMON) $(DESTDIR)$(SBINDIR)/sockwatchd
	$(INSTALL_PROGRAM) $(CTL) $(DESTDIR)$(BINDIR)/sockwatchctl
	$(INSTALL_DATA) $(SW_MAN8) $(DESTDIR)$(MANDIR)/man8/
	$(INSTALL_DATA) $(SW_MAN5) $(DESTDIR)$(MANDIR)/man5/
	$(INSTALL_DATA) $(SW_UNIT) $(DESTDIR)$(UNITDIR)/sockwatchd.service
	$(INSTALL_DATA) $(SW_SOCKET) $(DESTDIR)$(UNITDIR)/sockwatchd-metrics.socket
	for f in $(SW_CONTRIB); do $(INSTALL_DATA) $$f $(DESTDIR)$(DOCDIR)/$$f || exit 1; done
	$(INSTALL_DATA) $(SW_CATALOG) $(DESTDIR)$(CATALOGDIR)/sockwatchd.catalog
	$(INSTALL_DATA) $(SW_SYSUSERS) $(DESTDIR)$(SYSUSERSDIR)/sockwatchd.conf
	@# The administrator's configuration survives every reinstall.
	@if [ -e $(DESTDIR)$(SYSCONFDIR)/sockwatchd.conf ]; then \
		echo "$(DESTDIR)$(SYSCONFDIR)/sockwatchd.conf exists: left as it is"; \
	else \
		echo "$(INSTALL_DATA) $(SW_CONF) $(DESTDIR)$(SYSCONFDIR)/sockwatchd.conf"; \
		$(INSTALL_DATA) $(SW_CONF) $(DESTDIR)$(SYSCONFDIR)/sockwatchd.conf; \
	fi
ifeq ($(DESTDIR),)
	$(SYSTEMD_SYSUSERS) $(SYSUSERSDIR)/sockwatchd.conf
	$(JOURNALCTL) --update-catalog
endif

# Removes what install put there, except a configuration file that differs
# from the one shipped (it holds the administrator's changes) and the
# sockwatchd user (files it owned may outlive the package; see sysusers.d(5)).
uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/sockwatchd $(DESTDIR)$(BINDIR)/sockwatchctl \
		$(addprefix $(DESTDIR)$(MANDIR)/man8/,$(notdir $(SW_MAN8))) \
		$(addprefix $(DESTDIR)$(MANDIR)/man5/,$(notdir $(SW_MAN5))) \
		$(DESTDIR)$(UNITDIR)/sockwatchd.service \
		$(DESTDIR)$(UNITDIR)/sockwatchd-metrics.socket \
		$(DESTDIR)$(CATALOGDIR)/sockwatchd.catalog \
		$(DESTDIR)$(SYSUSERSDIR)/sockwatchd.conf \
		$(addprefix $(DESTDIR)$(DOCDIR)/,$(SW_CONTRIB))
	rmdir $(DESTDIR)$(DOCDIR)/contrib/prometheus $(DESTDIR)$(DOCDIR)/contrib/grafana \
		$(DESTDIR)$(DOCDIR)/contrib $(DESTDIR)$(DOCDIR) 2>/dev/null || true
	@if cmp -s $(SW_CONF) $(DESTDIR)$(SYSCONFDIR)/sockwatchd.conf; then \
		echo "rm -f $(DESTDIR)$(SYSCONFDIR)/sockwatchd.conf"; \
		rm -f $(DESTDIR)$(SYSCONFDIR)/sockwatchd.conf; \
	elif [ -e $(DESTDIR)$(SYSCONFDIR)/sockwatchd.conf ]; then \
		echo "$(DESTDIR)$(SYSCONFDIR)/sockwatchd.conf has local changes: left in place"; \
	fi
ifeq ($(DESTDIR),)
	$(JOURNALCTL) --update-catalog
endif
