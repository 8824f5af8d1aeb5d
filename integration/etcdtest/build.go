package etcdtest

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
)

// etcdPackage is the main package BuildEtcd builds.
const etcdPackage = "github.com/getcd/getcd/integration/cmd/etcd"

// BuildEtcd builds the etcd server of the integration module (../cmd/etcd,
// the etcd version integration/go.mod requires) into dir/etcd and returns
// the binary's path. It runs the go command found in PATH (or in GOROOT)
// inside the integration module, so it works from any test package of that
// module; the first build takes a few minutes, later ones come from the Go
// build cache. The binary is built without the race detector, whatever the
// tests are built with.
func BuildEtcd(dir string) (string, error) { return buildEtcd(dir, nil) }

func buildEtcd(dir string, env []string) (string, error) {
	modDir, err := integrationModuleDir()
	if err != nil {
		return "", err
	}
	goBin, err := goCommand()
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "etcd")
	if runtime.GOOS == "windows" {
		bin += ".exe"
	}
	cmd := exec.Command(goBin, "build", "-o", bin, etcdPackage)
	cmd.Dir = modDir
	if env != nil {
		cmd.Env = append(os.Environ(), env...)
	}
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("etcdtest: go build %s: %w\n%s", etcdPackage, err, out.Bytes())
	}
	return bin, nil
}

// integrationModuleDir finds the directory of integration/go.mod: beside this
// source file when the sources are at hand (the usual case for tests), else
// the module of the working directory.
func integrationModuleDir() (string, error) {
	if _, file, _, ok := runtime.Caller(0); ok {
		dir := filepath.Dir(filepath.Dir(file))
		if isIntegrationModule(dir) {
			return dir, nil
		}
	}
	goBin, err := goCommand()
	if err != nil {
		return "", err
	}
	out, err := exec.Command(goBin, "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("etcdtest: go env GOMOD: %w", err)
	}
	if gomod := strings.TrimSpace(string(out)); gomod != "" && gomod != os.DevNull {
		if dir := filepath.Dir(gomod); isIntegrationModule(dir) {
			return dir, nil
		}
	}
	return "", errors.New("etcdtest: cannot find the integration module (run from inside integration/)")
}

func isIntegrationModule(dir string) bool {
	b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
	if err != nil {
		return false
	}
	if !slices.Contains(strings.Split(string(b), "\n"), "module github.com/getcd/getcd/integration") {
		return false
	}
	_, err = os.Stat(filepath.Join(dir, "cmd", "etcd", "main.go"))
	return err == nil
}

// goCommand returns the go command to build with: the one in PATH (go test
// puts the go command's own GOROOT/bin first in its tests' PATH), else the one
// in $GOROOT/bin.
func goCommand() (string, error) {
	if p, err := exec.LookPath("go"); err == nil {
		return p, nil
	}
	if root := os.Getenv("GOROOT"); root != "" {
		p := filepath.Join(root, "bin", "go")
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", errors.New("etcdtest: no go command in PATH or in $GOROOT/bin")
}
