// Golden prints the bytes Apache ZooKeeper 3.8's own jute classes write for
// the records zkd/proto implements, one "name hex" line each. The Go tests
// (golden_test.go) compare zkd's encoding with these bytes and decode them.
//
// Regenerate (Debian's zookeeper package provides the jars):
//
//	CP=/usr/share/java/zookeeper.jar:/usr/share/java/zookeeper-jute.jar
//	javac -cp $CP -d /tmp/golden Golden.java
//	java -cp $CP:/tmp/golden Golden > java38.txt
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.jute.BinaryOutputArchive;
import org.apache.jute.Record;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.MultiOperationRecord;
import org.apache.zookeeper.MultiResponse;
import org.apache.zookeeper.Op;
import org.apache.zookeeper.OpResult;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.data.ACL;
import org.apache.zookeeper.data.ClientInfo;
import org.apache.zookeeper.data.Id;
import org.apache.zookeeper.data.Stat;
import org.apache.zookeeper.proto.*;

public class Golden {
    interface Writer {
        void write(BinaryOutputArchive a) throws IOException;
    }

    static void emit(String name, Writer w) throws IOException {
        ByteArrayOutputStream bos = new ByteArrayOutputStream();
        w.write(BinaryOutputArchive.getArchive(bos));
        StringBuilder sb = new StringBuilder();
        for (byte b : bos.toByteArray()) {
            sb.append(String.format("%02x", b));
        }
        System.out.println(name + " " + sb);
    }

    static void rec(String name, Record r) throws IOException {
        emit(name, a -> r.serialize(a, "r"));
    }

    static Stat stat() {
        return new Stat(0x0102030405060708L, 0x1112131415161718L, 1700000000123L, 1700000000456L,
                5, 6, 7, 0x2122232425262728L, 11, 12, 0x3132333435363738L);
    }

    static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    public static void main(String[] args) throws Exception {
        byte[] pw = new byte[16];
        for (int i = 0; i < 16; i++) {
            pw[i] = (byte) (0xa0 + i);
        }
        ConnectRequest creq = new ConnectRequest(0, 0x1122334455L, 30000, 0x0100000000000abcL, pw);
        rec("connect_request_44", creq);
        emit("connect_request_45", a -> { creq.serialize(a, "connect"); a.writeBool(true, "readOnly"); });
        ConnectResponse cresp = new ConnectResponse(0, 4000, 0x0100000000000abcL, pw);
        rec("connect_response_36", cresp);
        emit("connect_response_37", a -> { cresp.serialize(a, "connect"); a.writeBool(false, "readOnly"); });

        rec("request_header", new RequestHeader(7, ZooDefs.OpCode.getData));
        rec("reply_header", new ReplyHeader(7, 0x100000002L, -101));
        rec("stat", stat());

        List<ACL> acl = new ArrayList<>(ZooDefs.Ids.OPEN_ACL_UNSAFE);
        acl.add(new ACL(ZooDefs.Perms.READ | ZooDefs.Perms.ADMIN, new Id("digest", "bob:x1y2")));
        rec("create_request", new CreateRequest("/app/lock-", b("hello"), acl, 3));
        rec("create_request_null_data", new CreateRequest("/n", null, ZooDefs.Ids.OPEN_ACL_UNSAFE, 0));
        rec("create_ttl_request", new CreateTTLRequest("/ttl", b("t"), ZooDefs.Ids.OPEN_ACL_UNSAFE, 5, 60000L));
        rec("delete_request", new DeleteRequest("/app", -1));
        rec("exists_request", new ExistsRequest("/app", true));
        rec("get_data_request", new GetDataRequest("/app", false));
        rec("set_data_request", new SetDataRequest("/app", new byte[0], 4));
        rec("get_acl_request", new GetACLRequest("/app"));
        rec("set_acl_request", new SetACLRequest("/app", acl, 2));
        rec("get_children_request", new GetChildrenRequest("/", true));
        rec("get_children2_request", new GetChildren2Request("/app", false));
        rec("sync_request", new SyncRequest("/app"));
        rec("check_version_request", new CheckVersionRequest("/app", 9));
        rec("reconfig_request", new ReconfigRequest("server.4=127.0.0.1:2888:3888;2181", "2", "", -1L));
        rec("get_ephemerals_request", new GetEphemeralsRequest("/"));
        rec("get_all_children_number_request", new GetAllChildrenNumberRequest("/app"));
        rec("auth_packet", new AuthPacket(0, "digest", b("alice:secret")));
        rec("sasl_request", new GetSASLRequest(b("tok")));
        rec("set_watches", new SetWatches(0x42L, Arrays.asList("/a", "/b"), new ArrayList<>(), Arrays.asList("/")));
        rec("set_watches2", new SetWatches2(0x43L, Arrays.asList("/a"), Arrays.asList("/x"), new ArrayList<>(),
                Arrays.asList("/p"), Arrays.asList("/r", "/s")));
        rec("add_watch_request", new AddWatchRequest("/app", 1));
        rec("remove_watches_request", new RemoveWatchesRequest("/app", 3));
        rec("check_watches_request", new CheckWatchesRequest("/app", 2));

        rec("create_response", new CreateResponse("/app/lock-0000000001"));
        rec("create2_response", new Create2Response("/app/n", stat()));
        rec("exists_response", new ExistsResponse(stat()));
        rec("get_data_response", new GetDataResponse(b("data"), stat()));
        rec("get_data_response_null", new GetDataResponse(null, stat()));
        rec("set_data_response", new SetDataResponse(stat()));
        rec("get_acl_response", new GetACLResponse(acl, stat()));
        rec("set_acl_response", new SetACLResponse(stat()));
        rec("get_children_response", new GetChildrenResponse(Arrays.asList("a", "bb", "ccc")));
        rec("get_children_response_empty", new GetChildrenResponse(new ArrayList<>()));
        rec("get_children2_response", new GetChildren2Response(Arrays.asList("x"), stat()));
        rec("sync_response", new SyncResponse("/app"));
        rec("get_ephemerals_response", new GetEphemeralsResponse(Arrays.asList("/e1", "/app/e2")));
        rec("get_all_children_number_response", new GetAllChildrenNumberResponse(42));
        rec("error_response", new ErrorResponse(-110));
        rec("sasl_response", new SetSASLResponse(b("challenge")));
        rec("who_am_i_response", new WhoAmIResponse(Arrays.asList(new ClientInfo("ip", "127.0.0.1"),
                new ClientInfo("digest", "alice"))));
        rec("watcher_event", new WatcherEvent(3, 3, "/app"));

        MultiOperationRecord multi = new MultiOperationRecord();
        multi.add(Op.create("/m/a", b("x"), ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.EPHEMERAL_SEQUENTIAL));
        multi.add(Op.create("/m/t", b("y"), ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT_WITH_TTL, 5000L));
        multi.add(Op.create("/m/c", null, ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.CONTAINER));
        multi.add(Op.delete("/m/b", 3));
        multi.add(Op.setData("/m", b("z"), -1));
        multi.add(Op.check("/m", 7));
        rec("multi_request", multi);

        MultiOperationRecord multiRead = new MultiOperationRecord();
        multiRead.add(Op.getChildren("/m"));
        multiRead.add(Op.getData("/m/a"));
        rec("multi_read_request", multiRead);
        rec("multi_request_empty", new MultiOperationRecord());

        MultiResponse ok = new MultiResponse();
        ok.add(new OpResult.CreateResult("/m/a0000000001"));
        ok.add(new OpResult.CreateResult("/m/t", stat()));
        ok.add(new OpResult.DeleteResult());
        ok.add(new OpResult.SetDataResult(stat()));
        ok.add(new OpResult.CheckResult());
        rec("multi_response", ok);

        MultiResponse failed = new MultiResponse();
        failed.add(new OpResult.ErrorResult(0));
        failed.add(new OpResult.ErrorResult(-101));
        failed.add(new OpResult.ErrorResult(-2));
        rec("multi_response_failed", failed);

        MultiResponse read = new MultiResponse();
        read.add(new OpResult.GetChildrenResult(Arrays.asList("a", "b")));
        read.add(new OpResult.GetDataResult(b("v"), stat()));
        read.add(new OpResult.ErrorResult(-101));
        rec("multi_read_response", read);
    }
}
