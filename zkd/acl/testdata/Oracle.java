// Oracle rewrites the results of oracle.txt with Apache ZooKeeper's own code,
// so that the Go tests compare zkd/acl against ZooKeeper rather than against
// expectations written by hand. Run from this directory with Debian's
// zookeeper package installed:
//
//   java -Dfile.encoding=UTF-8 \
//     -cp /usr/share/java/zookeeper.jar:/usr/share/java/zookeeper-jute.jar:/usr/share/java/slf4j-api.jar:/usr/share/java/slf4j-nop.jar \
//     Oracle.java < oracle.txt > oracle.new && mv oracle.new oracle.txt
//
// oracle-ipv6.txt holds IPv6 ip cases, which 3.8 refuses; regenerate it the
// same way with the master branch's IPAuthenticationProvider (ZOOKEEPER-4240)
// first on the classpath: compile its source from apache/zookeeper against
// the jars above plus /usr/share/java/servlet-api.jar (dropping the @Override
// of the servlet handleAuthentication method, absent in 3.8's interface).
//
// Each line is KIND<TAB>ARG...<TAB>=><TAB>RESULT; lines starting with # and
// blank lines are copied. Lists of ids are "scheme:id" separated by spaces,
// lists of ACLs "perms@scheme:id" separated by spaces, "-" for empty.

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.ZKUtil;
import org.apache.zookeeper.cli.AclParser;
import org.apache.zookeeper.data.ACL;
import org.apache.zookeeper.data.Id;
import org.apache.zookeeper.server.PrepRequestProcessor;
import org.apache.zookeeper.server.ZooKeeperServer;
import org.apache.zookeeper.server.auth.DigestAuthenticationProvider;
import org.apache.zookeeper.server.auth.IPAuthenticationProvider;

public class Oracle {
    public static void main(String[] args) throws Exception {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        StringBuilder out = new StringBuilder();
        ZooKeeperServer zks = new ZooKeeperServer();
        IPAuthenticationProvider ip = new IPAuthenticationProvider();
        DigestAuthenticationProvider dig = new DigestAuthenticationProvider();
        for (String line; (line = in.readLine()) != null; ) {
            if (line.isEmpty() || line.startsWith("#")) {
                out.append(line).append('\n');
                continue;
            }
            int arrow = line.indexOf("\t=>");
            String head = arrow < 0 ? line : line.substring(0, arrow);
            String[] f = head.split("\t", -1);
            String r;
            switch (f[0]) {
            case "digest": // hex bytes of addauth data
                r = DigestAuthenticationProvider.generateDigest(new String(hex(f[1])));
                break;
            case "digestvalid":
                r = String.valueOf(dig.isValid(f[1]));
                break;
            case "ipvalid":
                r = String.valueOf(ip.isValid(f[1]));
                break;
            case "ipmatch": // remote id, acl expression
                r = String.valueOf(ip.matches(f[1], f[2]));
                break;
            case "check": // acl, perm, ids
                try {
                    zks.checkACL(null, acls(f[1]), Integer.parseInt(f[2]), ids(f[3]), "/x", null);
                    r = "allow";
                } catch (KeeperException.NoAuthException e) {
                    r = "deny";
                }
                break;
            case "fixup": // acl, ids
                try {
                    r = fmt(PrepRequestProcessor.fixupACL("/x", ids(f[2]), acls(f[1])));
                } catch (KeeperException.InvalidACLException e) {
                    r = "INVALIDACL";
                }
                break;
            case "parse":
                r = fmt(AclParser.parse(f[1]));
                break;
            case "perm":
                r = ZKUtil.getPermString(Integer.parseInt(f[1]));
                break;
            case "idset": // ids added in order; result is iteration order
                Set<Id> set = Collections.newSetFromMap(new ConcurrentHashMap<Id, Boolean>());
                set.addAll(ids(f[1]));
                StringBuilder sb = new StringBuilder();
                for (Id id : set) {
                    sb.append(sb.length() == 0 ? "" : " ").append(id.getScheme()).append(':').append(id.getId());
                }
                r = sb.length() == 0 ? "-" : sb.toString();
                break;
            default:
                throw new IllegalArgumentException("unknown kind in: " + line);
            }
            out.append(head).append("\t=>\t").append(r).append('\n');
        }
        System.out.print(out);
    }

    static byte[] hex(String s) {
        byte[] b = new byte[s.length() / 2];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) Integer.parseInt(s.substring(2 * i, 2 * i + 2), 16);
        }
        return b;
    }

    static List<Id> ids(String s) {
        List<Id> l = new ArrayList<>();
        if (!s.equals("-")) {
            for (String e : s.split(" ")) {
                int c = e.indexOf(':');
                l.add(new Id(e.substring(0, c), e.substring(c + 1)));
            }
        }
        return l;
    }

    static List<ACL> acls(String s) {
        List<ACL> l = new ArrayList<>();
        if (!s.equals("-")) {
            for (String e : s.split(" ")) {
                int at = e.indexOf('@');
                int c = e.indexOf(':', at);
                l.add(new ACL(Integer.parseInt(e.substring(0, at)), new Id(e.substring(at + 1, c), e.substring(c + 1))));
            }
        }
        return l;
    }

    static String fmt(List<ACL> l) {
        StringBuilder sb = new StringBuilder();
        for (ACL a : l) {
            sb.append(sb.length() == 0 ? "" : " ").append(a.getPerms()).append('@').append(a.getId().getScheme()).append(':').append(a.getId().getId());
        }
        return sb.length() == 0 ? "-" : sb.toString();
    }
}
