package org.xgradcam.serve;

import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.server.internal.HttpConnection;

/**
 * Bounds what a client can hold: at most {@code perClient} open connections per address, and a
 * request's headers must arrive within {@code headerMillis} to {@code 2 x headerMillis} of their
 * first byte (a client sending one header line every few seconds keeps the idle timeout from
 * ever firing). Slow bodies are bounded apart, by a minimum read rate; idle connections by the
 * idle timeout.
 */
final class ConnectionGuard implements Connection.Listener {
    private final int perClient;
    private final long headerMillis;
    private final ScheduledExecutorService clock;
    private final Map<String, AtomicInteger> open = new ConcurrentHashMap<>();
    private final Map<Connection, String> clients = new ConcurrentHashMap<>();

    /** Open connections per client address (for tests and diagnostics). */
    int open(String client) {
        AtomicInteger n = open.get(client);
        return n == null ? 0 : n.get();
    }

    ConnectionGuard(int perClient, long headerMillis, ScheduledExecutorService clock) {
        this.perClient = perClient;
        this.headerMillis = headerMillis;
        this.clock = clock;
    }

    private static String client(Connection c) {
        SocketAddress a = c.getEndPoint().getRemoteSocketAddress();
        return a instanceof InetSocketAddress i && i.getAddress() != null ? i.getAddress().getHostAddress() : String.valueOf(a);
    }

    @Override
    public void onOpened(Connection connection) {
        String client = client(connection);
        clients.put(connection, client); // its address is gone by the time it closes
        int n = open.computeIfAbsent(client, k -> new AtomicInteger()).incrementAndGet();
        if (n > perClient) {
            connection.getEndPoint().close(); // over the cap: refused at once, before a byte is read
            return;
        }
        if (connection instanceof HttpConnection http) {
            clock.schedule(() -> check(http, -1), headerMillis, TimeUnit.MILLISECONDS);
        }
    }

    @Override
    public void onClosed(Connection connection) {
        String client = clients.remove(connection);
        if (client != null) {
            open.computeIfPresent(client, (k, v) -> v.decrementAndGet() <= 0 ? null : v);
        }
    }

    /**
     * Closes a connection found twice in a row inside the headers of the same request; otherwise
     * looks again one period later, for as long as the connection is open.
     */
    private void check(HttpConnection http, long flagged) {
        if (!http.getEndPoint().isOpen()) {
            return;
        }
        var parser = http.getParser();
        long requests = http.getMessagesIn();
        long next = -1;
        if (!parser.isStart() && parser.inHeaderState()) {
            if (flagged == requests) {
                http.getEndPoint().close();
                return;
            }
            next = requests;
        }
        long mark = next;
        clock.schedule(() -> check(http, mark), headerMillis, TimeUnit.MILLISECONDS);
    }
}
