module zkd

go 1.26.8

require (
	github.com/go-zookeeper/zk v1.0.4 // indirect
	go.etcd.io/raft/v3 v3.7.0 // indirect
	google.golang.org/protobuf v1.36.11 // indirect
	gopkg.in/ini.v1 v1.67.3 // indirect
)
