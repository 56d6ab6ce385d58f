// go-oracle: decodes container create bodies with Go's own encoding/json into the shapes dockerd
// 20.10 uses (runconfig.ContainerConfigWrapper: *container.Config and the deprecated *container.HostConfig
// embedded, HostConfig and NetworkingConfig as members), and prints what Go made of each: one
// base64 body per input line, one JSON line out ({"ok":…} or {"err":…}). Only the fields the policy
// reads are declared; Go ignores the rest, as dockerd's bigger structs ignore unknown ones.
package main

import (
	"bufio"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
)

// StrSlice is docker's strslice.StrSlice: a string or a list of strings.
type StrSlice []string

func (e *StrSlice) UnmarshalJSON(b []byte) error {
	if len(b) == 0 {
		return nil
	}
	p := make([]string, 0, 1)
	if err := json.Unmarshal(b, &p); err != nil {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		p = append(p, s)
	}
	*e = p
	return nil
}

type Driver struct {
	Name    string            `json:",omitempty"`
	Options map[string]string `json:",omitempty"`
}
type VolumeOptions struct {
	NoCopy       bool              `json:",omitempty"`
	Labels       map[string]string `json:",omitempty"`
	DriverConfig *Driver           `json:",omitempty"`
}
type BindOptions struct {
	Propagation  string `json:",omitempty"`
	NonRecursive bool   `json:",omitempty"`
}
type Mount struct {
	Type          string         `json:",omitempty"`
	Source        string         `json:",omitempty"`
	Target        string         `json:",omitempty"`
	ReadOnly      bool           `json:",omitempty"`
	BindOptions   *BindOptions   `json:",omitempty"`
	VolumeOptions *VolumeOptions `json:",omitempty"`
}
type DeviceMapping struct{ PathOnHost, PathInContainer, CgroupPermissions string }
type DeviceRequest struct {
	Driver string
	Count  int
}
type Resources struct {
	CgroupParent      string
	Devices           []DeviceMapping
	DeviceCgroupRules []string
	DeviceRequests    []DeviceRequest
}
type HostConfig struct {
	Binds         []string
	NetworkMode   string
	VolumeDriver  string
	VolumesFrom   []string
	CapAdd        StrSlice
	CgroupnsMode  string
	IpcMode       string
	PidMode       string
	Privileged    bool
	SecurityOpt   []string
	UTSMode       string
	UsernsMode    string
	Resources
	Mounts        []Mount `json:",omitempty"`
	MaskedPaths   []string
	ReadonlyPaths []string
}
type Config struct {
	Image  string
	User   string
	Labels map[string]string
}
type EndpointSettings struct{}
type NetworkingConfig struct {
	EndpointsConfig map[string]*EndpointSettings
}
type ContainerConfigWrapper struct {
	*Config
	InnerHostConfig        *HostConfig       `json:"HostConfig,omitempty"`
	SimpleNetworkingConfig *NetworkingConfig `json:"NetworkingConfig,omitempty"`
	*HostConfig
}

func main() {
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 1<<26)
	out := bufio.NewWriter(os.Stdout)
	for in.Scan() {
		b, err := base64.StdEncoding.DecodeString(in.Text())
		if err != nil {
			panic(err)
		}
		var w ContainerConfigWrapper
		if err := json.Unmarshal(b, &w); err != nil {
			e, _ := json.Marshal(map[string]string{"err": err.Error()})
			fmt.Fprintln(out, string(e))
		} else {
			ok, err := json.Marshal(map[string]interface{}{"ok": w})
			if err != nil {
				panic(err)
			}
			fmt.Fprintln(out, string(ok))
		}
		out.Flush()
	}
}
