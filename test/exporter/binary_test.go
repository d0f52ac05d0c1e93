package exporter

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"zkd/internal/ztest"
)

// TestExporterBinary runs zk-exporter against zkd and Apache with a custom
// telemetry path; its output must pass promtool check metrics.
func TestExporterBinary(t *testing.T) {
	requireServers(t)
	promtool := requireTool(t, "promtool")
	zkd := ztest.StartZkd(t, ztest.Options{Whitelist: "*"})
	apache := ztest.StartApache(t, ztest.Options{Whitelist: "*"})
	_, addr := startExporter(t, "--zk.config="+zkd.CfgPath, "--zk.config="+apache.CfgPath, "--web.telemetry-path=/zk-metrics")

	status, landing := get(t, http.DefaultClient, "http://"+addr+"/")
	if status != http.StatusOK || !strings.Contains(landing, `href="/zk-metrics"`) {
		t.Errorf("landing page: %d, no link to /zk-metrics:\n%s", status, landing)
	}
	status, body := get(t, http.DefaultClient, "http://"+addr+"/zk-metrics")
	if status != http.StatusOK {
		t.Fatalf("GET /zk-metrics: %d", status)
	}
	for _, s := range []*ztest.Server{zkd, apache} {
		// zoo.cfg says clientPortAddress=127.0.0.1: the targets came from
		// the configs.
		if v, ok := metricLine(body, `zookeeper_up{server="`+s.Addr+`"}`); !ok || v != "1" {
			t.Errorf("zookeeper_up for %s = %q, %v", s.Addr, v, ok)
		}
	}
	for _, prefix := range []string{"zk_exporter_build_info{", "zk_exporter_scrape_duration_seconds ", "go_goroutines ",
		"promhttp_metric_handler_requests_total{", `zookeeper_filesystem_free_bytes{device=`} {
		if !strings.Contains(body, "\n"+prefix) {
			t.Errorf("no %s... in the output", prefix)
		}
	}
	if status, _ := get(t, http.DefaultClient, "http://"+addr+"/metrics"); status != http.StatusNotFound {
		t.Errorf("/metrics with --web.telemetry-path=/zk-metrics: %d, want 404", status)
	}

	cmd := exec.Command(promtool, "check", "metrics")
	cmd.Stdin = strings.NewReader(body)
	out, err := cmd.CombinedOutput()
	if err != nil || len(strings.TrimSpace(string(out))) > 0 {
		t.Errorf("promtool check metrics: %v\n%s", err, out)
	}
}

// TestExporterTLSAndBasicAuth serves over TLS with basic auth from an
// exporter-toolkit web config file.
func TestExporterTLSAndBasicAuth(t *testing.T) {
	requireServers(t)
	zkd := ztest.StartZkd(t, ztest.Options{Whitelist: "*"})
	dir := t.TempDir()
	certPEM := writeSelfSigned(t, dir)
	hash, err := bcrypt.GenerateFromPassword([]byte("s3cret"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	webCfg := filepath.Join(dir, "web.yml")
	cfg := "tls_server_config:\n  cert_file: cert.pem\n  key_file: key.pem\nbasic_auth_users:\n  prometheus: " + string(hash) + "\n"
	if err := os.WriteFile(webCfg, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	_, addr := startExporter(t, "--zk.hosts="+zkd.Addr, "--web.config.file="+webCfg)

	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(certPEM)
	client := &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	if status, _ := get(t, client, "https://"+addr+"/metrics"); status != http.StatusUnauthorized {
		t.Errorf("no credentials: %d, want 401", status)
	}
	req, _ := http.NewRequest(http.MethodGet, "https://"+addr+"/metrics", nil)
	req.SetBasicAuth("prometheus", "s3cret")
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("with credentials: %d, want 200", resp.StatusCode)
	}
	// Plain HTTP to the TLS port gets no metrics.
	if status, body := get(t, http.DefaultClient, "http://"+addr+"/metrics"); status == http.StatusOK || strings.Contains(body, "zookeeper_up") {
		t.Errorf("plain http: %d", status)
	}
}

// writeSelfSigned writes cert.pem and key.pem for 127.0.0.1 into dir and
// returns the certificate.
func writeSelfSigned(t *testing.T, dir string) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "zk-exporter test"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	if err := os.WriteFile(filepath.Join(dir, "cert.pem"), certPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "key.pem"), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	return certPEM
}
