// Package exporter holds the integration tests of zk-exporter: the
// collector against live zkd and Apache ZooKeeper 3.8 servers (a target
// killed, a reply cut mid-scrape, mntr not whitelisted, a hung server), the
// zk-exporter binary (promtool check metrics, landing page, TLS and basic
// auth), the alert rules (promtool check rules, promtool test rules), and a
// real Prometheus on loopback scraping the exporter that watches a
// three-member Apache ensemble and zkd, through which every PromQL
// expression of the dashboards must return data.
//
// The tests need Debian's prometheus package (/usr/bin/prometheus and
// promtool) and zookeeper (java and the jars). They install nothing; when a
// tool is missing they fail and say which package to install, they never
// skip.
package exporter
