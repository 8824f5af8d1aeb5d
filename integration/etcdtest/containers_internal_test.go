package etcdtest

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/testcontainers/testcontainers-go"
)

// Whether or not this machine runs Docker, a daemon that is not there
// gives an error of one line, not a panic: the container tests skip with
// it instead of ending the test binary.
func TestDockerClientWithoutDaemon(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "docker.sock") // nothing listens there
	for name, connect := range map[string]func(context.Context) (*testcontainers.DockerClient, error){
		"no socket": dockerAt("unix://" + sock),
		// What testcontainers does when its search finds no host.
		"search panics": func(context.Context) (*testcontainers.DockerClient, error) {
			panic(errors.New("socket not found\nsecond line"))
		},
	} {
		cli, err := dockerClient(context.Background(), connect)
		if err == nil {
			cli.Close()
			t.Fatalf("%s: a client, want an error", name)
		}
		if strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: the error has more than one line: %q", name, err)
		}
		t.Logf("%s: %v", name, err)
	}
}
