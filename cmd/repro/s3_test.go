package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The S3 tests run the scale-out contract against a real S3-compatible
// server on loopback: SeaweedFS (`weed server -s3`), which `make s3test`
// builds once into ~/.cache/repro-test/bin and names in $S3TEST_WEED. They
// run only when $S3TEST_WEED is set: `make test` leaves them to `make
// s3test` (CI runs both), so that a machine where s3test once built the
// server does not pay their 90 s in every `make test` (issue 28).

// s3Env is the environment of the AWS SDK in these tests: fixed credentials
// (the server has no IAM configured and accepts any), and no look-up of
// instance metadata or of the user's own AWS files.
func s3Env() []string {
	return []string{
		"AWS_ACCESS_KEY_ID=repro-test", "AWS_SECRET_ACCESS_KEY=repro-test", "AWS_REGION=us-east-1",
		"AWS_EC2_METADATA_DISABLED=true", "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null",
	}
}

func weedBinary() string { return os.Getenv("S3TEST_WEED") }

// freePorts returns n distinct free TCP ports on loopback.
func freePorts(t *testing.T, n int) []int {
	t.Helper()
	var ls []net.Listener
	var ports []int
	for len(ports) < n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	for _, l := range ls {
		l.Close()
	}
	return ports
}

// seaweed is a running `weed server -s3` on loopback.
type seaweed struct {
	cmd  *exec.Cmd
	s3   int
	log  *bytes.Buffer
	done chan struct{}
}

func startSeaweed(t *testing.T) *seaweed {
	t.Helper()
	bin := weedBinary()
	if bin == "" {
		t.Skip("S3TEST_WEED is not set: `make s3test` runs the S3 tests (it builds SeaweedFS once)")
	}
	if _, err := os.Stat(bin); err != nil {
		t.Skipf("no SeaweedFS server at S3TEST_WEED=%s: `make s3test` builds it once (go build of github.com/seaweedfs/seaweedfs/weed)", bin)
	}
	p := freePorts(t, 8)
	dir := t.TempDir()
	cmd := exec.Command(bin, "server", "-ip=127.0.0.1", "-ip.bind=127.0.0.1", "-dir="+dir,
		fmt.Sprintf("-master.port=%d", p[0]), fmt.Sprintf("-master.port.grpc=%d", p[1]),
		fmt.Sprintf("-volume.port=%d", p[2]), fmt.Sprintf("-volume.port.grpc=%d", p[3]),
		"-filer", fmt.Sprintf("-filer.port=%d", p[4]), fmt.Sprintf("-filer.port.grpc=%d", p[5]),
		"-filer.localSocket="+filepath.Join(dir, "filer.sock"),
		"-s3", fmt.Sprintf("-s3.port=%d", p[6]), fmt.Sprintf("-s3.port.grpc=%d", p[7]),
		"-master.volumeSizeLimitMB=64", "-volume.max=16")
	w := &seaweed{cmd: cmd, s3: p[6], log: &bytes.Buffer{}, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = w.log, w.log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { cmd.Wait(); close(w.done) }()
	t.Cleanup(w.kill)
	// Ready when a bucket can be created and written.
	deadline := time.Now().Add(90 * time.Second)
	for {
		if err := w.makeBucket("ready"); err == nil {
			break
		} else if time.Now().After(deadline) {
			w.kill()
			t.Fatalf("SeaweedFS did not start in 90s: %v\n%s", err, w.tail())
		}
		select {
		case <-w.done:
			t.Fatalf("SeaweedFS exited:\n%s", w.tail())
		case <-time.After(300 * time.Millisecond):
		}
	}
	return w
}

// makeBucket creates a bucket (PUT /name; no IAM is configured) and checks
// that an object can be written into it.
func (w *seaweed) makeBucket(name string) error {
	c := &http.Client{Timeout: 5 * time.Second}
	for _, path := range []string{"/" + name, "/" + name + "/probe"} {
		var body io.Reader
		if path != "/"+name {
			body = strings.NewReader("x")
		}
		req, err := http.NewRequest(http.MethodPut, fmt.Sprintf("http://127.0.0.1:%d%s", w.s3, path), body)
		if err != nil {
			return err
		}
		resp, err := c.Do(req)
		if err != nil {
			return err
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK && !bytes.Contains(b, []byte("BucketAlreadyExists")) && !bytes.Contains(b, []byte("BucketAlreadyOwnedByYou")) {
			return fmt.Errorf("PUT %s: %s: %s", path, resp.Status, b)
		}
	}
	return nil
}

func (w *seaweed) url(bucket string) string {
	return fmt.Sprintf("s3://%s?endpoint=http://127.0.0.1:%d&use_path_style=true&region=us-east-1", bucket, w.s3)
}

// kill stops the whole server (it is a process group) at once.
func (w *seaweed) kill() {
	if w.cmd.Process != nil {
		syscall.Kill(-w.cmd.Process.Pid, syscall.SIGKILL)
	}
	<-w.done
}

func (w *seaweed) tail() string {
	s := w.log.String()
	if len(s) > 3000 {
		s = s[len(s)-3000:]
	}
	return s
}

func TestS3ShardsThenAssemble(t *testing.T) {
	w := startSeaweed(t)
	if err := w.makeBucket("repro"); err != nil {
		t.Fatal(err)
	}
	checkShardsThenAssemble(t, w.url("repro"))
}

// Signed results against a real S3 server: a client that trusts only the
// honest key refuses every poisoned entry (see checkPoisonRefused).
func TestS3SignedResults(t *testing.T) {
	w := startSeaweed(t)
	if err := w.makeBucket("signed"); err != nil {
		t.Fatal(err)
	}
	// The test process edits the bucket as an attacker would, through the
	// same SDK and credentials.
	for _, kv := range s3Env() {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	checkPoisonRefused(t, w.url("signed"))
}

// Killing the server in the middle of a run: one warning, the run goes on
// with the local store and completes with the same results.
func TestS3ServerKilledMidRun(t *testing.T) {
	refLock, refReport := singleMachine(t)
	w := startSeaweed(t)
	if err := w.makeBucket("midrun"); err != nil {
		t.Fatal(err)
	}
	a := copyProject(t)
	keyFile, _ := signingKey(t)
	cmd := exec.Command(reproBin, "-C", a, "run", "--profile", "quick", "--json")
	cmd.Env = append(append(os.Environ(), "REPRO_PROFILE="), append(append(s3Env(), "REPRO_STORE_REMOTE="+w.url("midrun")), signedEnv(keyFile)...)...)
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	pr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	sc := bufio.NewScanner(pr)
	ran := 0
	killedAt := -1
	for sc.Scan() {
		line := sc.Text()
		stderr.WriteString(line + "\n")
		if strings.Contains(line, "] ran ") {
			ran++
		}
		if ran == 20 && killedAt < 0 {
			w.kill()
			killedAt = ran
		}
	}
	err = cmd.Wait()
	if err != nil {
		t.Fatalf("the run failed after the server was killed: %v\n%s", err, stderr.String())
	}
	if killedAt < 0 {
		t.Fatalf("the run finished before 20 stages ran:\n%s", stderr.String())
	}
	s := parseScaleOut(t, result{0, stdout.String(), stderr.String()})
	if len(s.Failed) != 0 || s.Report == "" {
		t.Errorf("failed %v, report %q", s.Failed, s.Report)
	}
	warns := 0
	for _, l := range warningLines(stderr.String()) { // but the one about KaTeX, which depends on npm
		if strings.Contains(l, "warning:") {
			warns++
			if !strings.Contains(l, "remote store") || !strings.Contains(l, "local store only") {
				t.Errorf("unexpected warning: %s", l)
			}
		}
	}
	if warns != 1 {
		t.Errorf("%d warnings, want exactly one:\n%s", warns, stderr.String())
	}
	if !strings.Contains(stderr.String(), "given up during the run") {
		t.Errorf("the summary does not say the remote was given up:\n%s", stderr.String())
	}
	lock, _ := os.ReadFile(filepath.Join(a, "repro.quick.lock"))
	html, _ := os.ReadFile(filepath.Join(a, "artifacts/report.html"))
	if !bytes.Equal(lock, refLock) || !bytes.Equal(runSpecific.ReplaceAll(html, nil), refReport) {
		t.Error("after losing the remote, the lock or report differs from a single machine's")
	}
}
