package etcdtest

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/client"
	"github.com/docker/go-connections/nat"
	"github.com/testcontainers/testcontainers-go"
	tclog "github.com/testcontainers/testcontainers-go/log"
	tcnetwork "github.com/testcontainers/testcontainers-go/network"
	"github.com/testcontainers/testcontainers-go/wait"
)

// ContainerImage is the repository and tag of the image StartContainerCluster
// builds: a FROM scratch image holding the static etcd of ../cmd/etcd.
const ContainerImage = "getcd-etcdtest-etcd:v3.7.3"

// ContainerCluster is an etcd cluster of Docker containers started with
// testcontainers-go: the image is built locally (nothing is pulled from a
// registry), the members talk to each other on an internal Docker network
// the cluster creates, and clients reach each member through a Proxy on the
// host, whose address stays the same when a restarted container gets a new
// host port. Disconnect takes a member off the peer network (a partition
// from its peers, its client link up) and Reconnect puts it back.
type ContainerCluster struct {
	Members []*ContainerMember

	cli     *testcontainers.DockerClient
	peerNet *testcontainers.DockerNetwork
	hostNet *testcontainers.DockerNetwork
}

// ContainerMember is one container of a ContainerCluster.
type ContainerMember struct {
	Name    string
	logger  tclog.Logger
	c       testcontainers.Container
	proxy   *Proxy
	dataDir string
	cl      *ContainerCluster
}

var imageOnce struct {
	sync.Once
	err error
}

// docker is the answer, found once per process, to whether a Docker daemon
// answers here: nil, or why not.
var docker struct {
	sync.Once
	err error
}

// dockerAvailable returns a client of the Docker daemon testcontainers
// finds, or why there is none. Whether there is one is asked once per
// process; a machine without Docker answers at once after the first time.
func dockerAvailable(ctx context.Context) (*testcontainers.DockerClient, error) {
	if os.Getenv("TESTCONTAINERS_RYUK_DISABLED") == "" {
		// The reaper's image would have to be pulled; the cluster's
		// cleanup removes everything it made instead.
		os.Setenv("TESTCONTAINERS_RYUK_DISABLED", "true")
	}
	docker.Do(func() {
		cli, err := dockerClient(ctx, discoveredDocker)
		if err == nil {
			cli.Close()
		}
		docker.err = err
	})
	if docker.err != nil {
		return nil, docker.err
	}
	return dockerClient(ctx, discoveredDocker)
}

// discoveredDocker connects to the daemon wherever testcontainers looks for
// one: ~/.testcontainers.properties, DOCKER_HOST, the Docker context, the
// default socket, a rootless socket.
func discoveredDocker(ctx context.Context) (*testcontainers.DockerClient, error) {
	return testcontainers.NewDockerClientWithOpts(ctx)
}

// dockerAt connects to the daemon at host (unix:///path or tcp://addr)
// alone, without testcontainers' search.
func dockerAt(host string) func(context.Context) (*testcontainers.DockerClient, error) {
	return func(context.Context) (*testcontainers.DockerClient, error) {
		c, err := client.NewClientWithOpts(client.FromEnv, client.WithHost(host), client.WithAPIVersionNegotiation())
		if err != nil {
			return nil, err
		}
		return &testcontainers.DockerClient{Client: c}, nil
	}
}

// dockerClient connects with connect and pings the daemon. It returns an
// error, never panics: testcontainers panics when its search finds no
// Docker host at all (MustExtractDockerHost), which would end the whole
// test binary instead of skipping the container tests. The error is one
// line, fit for a skip message.
func dockerClient(ctx context.Context, connect func(context.Context) (*testcontainers.DockerClient, error)) (cli *testcontainers.DockerClient, err error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	defer func() {
		if p := recover(); p != nil {
			where := "DOCKER_HOST is unset"
			if h := os.Getenv("DOCKER_HOST"); h != "" {
				where = "DOCKER_HOST=" + h
			}
			cli, err = nil, fmt.Errorf("no Docker host found (%s; testcontainers: %v)", where, p)
		}
		if err != nil {
			err = errors.New(strings.Join(strings.Fields(err.Error()), " "))
		}
	}()
	cli, err = connect(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := cli.Ping(ctx); err != nil {
		cli.Close()
		return nil, err
	}
	return cli, nil
}

// buildImage builds ContainerImage once per process from a FROM scratch
// Dockerfile around a CGO_ENABLED=0 build of ../cmd/etcd.
func buildImage(ctx context.Context, logger tclog.Logger) error {
	imageOnce.Do(func() {
		dir, err := os.MkdirTemp("", "getcd-etcd-image-*")
		if err != nil {
			imageOnce.err = err
			return
		}
		defer os.RemoveAll(dir)
		if _, err := buildEtcd(dir, []string{"CGO_ENABLED=0"}); err != nil {
			imageOnce.err = err
			return
		}
		df := "FROM scratch\nCOPY etcd /usr/local/bin/etcd\nENTRYPOINT [\"/usr/local/bin/etcd\"]\n"
		if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(df), 0o644); err != nil {
			imageOnce.err = err
			return
		}
		p, err := testcontainers.NewDockerProvider(testcontainers.WithLogger(logger))
		if err != nil {
			imageOnce.err = err
			return
		}
		defer p.Close()
		repo, tag, _ := strings.Cut(ContainerImage, ":")
		_, imageOnce.err = p.BuildImage(ctx, &testcontainers.ContainerRequest{FromDockerfile: testcontainers.FromDockerfile{
			Context: dir, Repo: repo, Tag: tag, KeepImage: true,
		}})
	})
	return imageOnce.err
}

// StartContainerCluster starts an n-member cluster in containers and waits
// until every member logged "ready to serve client requests" and answers
// /health through its proxy. Without a Docker daemon it skips the test with
// one line saying so. A cleanup removes the containers and networks; the
// image is kept for the next run.
func StartContainerCluster(tb testing.TB, n int) *ContainerCluster {
	tb.Helper()
	ctx := context.Background()
	cli, err := dockerAvailable(ctx)
	if err != nil {
		tb.Skipf("etcdtest: no Docker daemon answers, container cluster skipped: %v", err)
	}
	logger := tclog.TestLogger(tb) // testcontainers' progress goes to the test's log
	if err := buildImage(ctx, logger); err != nil {
		cli.Close()
		tb.Fatalf("etcdtest: build %s: %v", ContainerImage, err)
	}
	cl := &ContainerCluster{cli: cli}
	tb.Cleanup(func() {
		if err := cl.Close(); err != nil {
			tb.Error(err)
		}
	})
	if cl.peerNet, err = tcnetwork.New(ctx, tcnetwork.WithInternal()); err != nil {
		tb.Fatal(err)
	}
	if cl.hostNet, err = tcnetwork.New(ctx); err != nil {
		tb.Fatal(err)
	}
	var initial []string
	for i := range n {
		name := fmt.Sprintf("m%d", i)
		p, err := NewProxy("127.0.0.1:1") // the target is set once the port is known
		if err != nil {
			tb.Fatal(err)
		}
		dir := filepath.Join(tb.TempDir(), name)
		if err := os.MkdirAll(dir, 0o777); err != nil {
			tb.Fatal(err)
		}
		cl.Members = append(cl.Members, &ContainerMember{Name: name, logger: logger, proxy: p, dataDir: dir, cl: cl})
		initial = append(initial, name+"=http://"+name+":2380")
	}
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i, m := range cl.Members {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = m.create(ctx, strings.Join(initial, ","))
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		tb.Fatal(err)
	}
	for _, m := range cl.Members {
		if err := m.waitHealthy(ctx); err != nil {
			tb.Fatal(err)
		}
	}
	return cl
}

func (m *ContainerMember) create(ctx context.Context, initial string) error {
	req := testcontainers.ContainerRequest{
		Image: ContainerImage,
		Cmd: []string{
			"--name=" + m.Name,
			"--data-dir=/data/etcd",
			"--listen-client-urls=http://0.0.0.0:2379",
			"--advertise-client-urls=http://" + m.proxy.Addr(),
			"--listen-peer-urls=http://0.0.0.0:2380",
			"--initial-advertise-peer-urls=http://" + m.Name + ":2380",
			"--initial-cluster=" + initial,
			"--initial-cluster-state=new",
			"--initial-cluster-token=etcdtest",
		},
		ExposedPorts:   []string{"2379/tcp"},
		Networks:       []string{m.cl.hostNet.Name, m.cl.peerNet.Name},
		NetworkAliases: map[string][]string{m.cl.peerNet.Name: {m.Name}},
		HostConfigModifier: func(hc *container.HostConfig) {
			hc.Binds = append(hc.Binds, m.dataDir+":/data")
		},
		WaitingFor: wait.ForLog("ready to serve client requests").WithStartupTimeout(90 * time.Second),
	}
	c, err := testcontainers.GenericContainer(ctx, testcontainers.GenericContainerRequest{ContainerRequest: req, Started: true, Logger: m.logger})
	if c != nil {
		m.c = c
	}
	if err != nil {
		return fmt.Errorf("etcdtest: container %s: %w", m.Name, err)
	}
	return m.retarget(ctx)
}

// retarget points the member's proxy at the container's current host port.
func (m *ContainerMember) retarget(ctx context.Context) error {
	host, err := m.c.Host(ctx)
	if err != nil {
		return err
	}
	if strings.HasPrefix(m.cl.cli.DaemonHost(), "unix://") {
		// A local daemon publishes on every host address; testcontainers
		// may name the gateway instead when it believes it runs inside a
		// container.
		host = "127.0.0.1"
	}
	port, err := m.c.MappedPort(ctx, nat.Port("2379/tcp"))
	if err != nil {
		return err
	}
	m.proxy.SetTarget(host + ":" + port.Port())
	m.proxy.CloseConnections()
	return nil
}

func (m *ContainerMember) waitHealthy(ctx context.Context) error {
	client := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := client.Get("http://" + m.proxy.Target() + "/health")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = errors.New(resp.Status)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("etcdtest: container %s not healthy: %w", m.Name, err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// Endpoints returns the members' client endpoints: their host proxies.
func (cl *ContainerCluster) Endpoints() []string {
	out := make([]string, len(cl.Members))
	for i, m := range cl.Members {
		out[i] = m.Endpoint()
	}
	return out
}

// Close removes the containers and networks and closes the proxies.
func (cl *ContainerCluster) Close() error {
	var errs []error
	for _, m := range cl.Members {
		if m.c != nil {
			errs = append(errs, testcontainers.TerminateContainer(m.c))
		}
		m.proxy.Close()
	}
	ctx := context.Background()
	for _, n := range []*testcontainers.DockerNetwork{cl.peerNet, cl.hostNet} {
		if n != nil {
			errs = append(errs, n.Remove(ctx))
		}
	}
	if cl.cli != nil {
		errs = append(errs, cl.cli.Close())
	}
	cl.Members, cl.peerNet, cl.hostNet, cl.cli = nil, nil, nil, nil
	return errors.Join(errs...)
}

// Endpoint returns the member's client endpoint on the host: its proxy.
func (m *ContainerMember) Endpoint() string { return m.proxy.Addr() }

// Proxy returns the host proxy in front of the member's client port.
func (m *ContainerMember) Proxy() *Proxy { return m.proxy }

// DataDir returns the host directory mounted as the member's /data; etcd's
// data directory is DataDir()/etcd.
func (m *ContainerMember) DataDir() string { return filepath.Join(m.dataDir, "etcd") }

// Kill stops the container at once (SIGKILL); its data stays.
func (m *ContainerMember) Kill() error {
	zero := time.Duration(0)
	return m.c.Stop(context.Background(), &zero)
}

// Restart starts a stopped container again on the same data, points the
// proxy at its new host port and waits until it answers /health.
func (m *ContainerMember) Restart() error {
	ctx := context.Background()
	if err := m.c.Start(ctx); err != nil {
		return fmt.Errorf("etcdtest: restart %s: %w", m.Name, err)
	}
	if err := m.retarget(ctx); err != nil {
		return err
	}
	return m.waitHealthy(ctx)
}

// Disconnect takes the member off the peer network: it loses its peers,
// clients still reach it.
func (m *ContainerMember) Disconnect() error {
	return m.cl.cli.NetworkDisconnect(context.Background(), m.cl.peerNet.ID, m.c.GetContainerID(), true)
}

// Reconnect puts the member back on the peer network under its name.
func (m *ContainerMember) Reconnect() error {
	return m.cl.cli.NetworkConnect(context.Background(), m.cl.peerNet.ID, m.c.GetContainerID(),
		&network.EndpointSettings{Aliases: []string{m.Name}})
}

// Pause freezes the container (docker pause); Resume thaws it.
func (m *ContainerMember) Pause() error {
	return m.cl.cli.ContainerPause(context.Background(), m.c.GetContainerID())
}

// Resume thaws a paused container.
func (m *ContainerMember) Resume() error {
	return m.cl.cli.ContainerUnpause(context.Background(), m.c.GetContainerID())
}
