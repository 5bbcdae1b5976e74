package org.xgradcam.serve;

import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * The viewer is a local tool: it answers only requests meant for it. Before anything else sees a
 * request, this checks that its Host is one of the server's own names (so a page whose domain
 * is re-pointed at 127.0.0.1, DNS rebinding, gets nothing) and that a request carrying an Origin
 * (or a cross-site fetch) comes from the viewer's own page, or from an origin the user allowed;
 * anything else is answered 403 with a JSON error. Every answer carries headers that keep the
 * page from being framed, sniffed or fed inline script; no CORS header is ever sent.
 */
final class RequestGuard extends Handler.Wrapper {
    /** No inline script, no foreign anything: the page's own files, and the pictures it makes (data:, blob:). */
    static final String CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:;"
            + " connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    private final Set<String> hosts;
    private final boolean anyHost;
    private final Set<String> origins;

    /**
     * @param bound the address the server listens on
     * @param allowedHosts names the user allows besides the server's own ("*": any)
     * @param allowedOrigins origins (scheme://host[:port]) whose pages may call the API
     */
    RequestGuard(String bound, Set<String> allowedHosts, Set<String> allowedOrigins) {
        Set<String> h = new HashSet<>(Set.of("localhost", "127.0.0.1", "::1"));
        String b = hostOnly(bound);
        if (isWildcard(b)) {
            h.addAll(interfaceAddresses()); // bound to every interface: each of its addresses is its name
        } else {
            h.add(b);
        }
        boolean any = false;
        for (String a : allowedHosts) {
            if (a.equals("*")) {
                any = true;
            } else {
                h.add(hostOnly(a));
            }
        }
        this.hosts = Collections.unmodifiableSet(h);
        this.anyHost = any;
        Set<String> o = new HashSet<>();
        for (String a : allowedOrigins) {
            o.add(normaliseOrigin(a));
        }
        this.origins = Collections.unmodifiableSet(o);
    }

    static boolean isWildcard(String host) {
        return host.equals("0.0.0.0") || host.equals("::") || host.equals("0:0:0:0:0:0:0:0") || host.isEmpty();
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) throws Exception {
        HttpFields.Mutable h = response.getHeaders();
        h.put("Content-Security-Policy", CSP);
        h.put("X-Content-Type-Options", "nosniff");
        h.put("X-Frame-Options", "DENY");
        h.put("Referrer-Policy", "no-referrer");
        h.put("Cross-Origin-Opener-Policy", "same-origin");
        h.put("Cross-Origin-Resource-Policy", "same-origin");
        String refusal = refusal(request.getHeaders());
        if (refusal != null) {
            response.setStatus(403);
            h.put(HttpHeader.CONTENT_TYPE, "application/json");
            h.put(HttpHeader.CONNECTION, "close");
            String body = "{\"error\": " + ViewerServer.jsonString(refusal) + "}";
            response.write(true, ByteBuffer.wrap(body.getBytes(StandardCharsets.UTF_8)), callback);
            return true;
        }
        return super.handle(request, response, callback);
    }

    /** Why a request is refused, or null when it is the viewer's own. */
    String refusal(HttpFields headers) {
        String host = headers.get(HttpHeader.HOST);
        if (host != null && !anyHost && !hosts.contains(hostOnly(host))) {
            return "this server answers only requests addressed to it (Host '" + printable(host) + "' is not one of its"
                    + " names); to reach it under another name, start it with --allow-host " + printable(hostOnly(host));
        }
        String origin = headers.get(HttpHeader.ORIGIN);
        if (origin != null) {
            String o = normaliseOrigin(origin);
            boolean own = host != null && o.equals("http://" + host.toLowerCase(Locale.ROOT));
            if (!own && !origins.contains(o)) {
                return "requests from other web pages are refused (Origin '" + printable(origin) + "'); to let that page"
                        + " use the API, start the server with --allow-origin " + printable(origin);
            }
            return null;
        }
        // browsers that send no Origin on a GET still say where a subresource request comes from
        HttpField site = headers.getField("Sec-Fetch-Site");
        HttpField mode = headers.getField("Sec-Fetch-Mode");
        if (site != null && site.getValue().equals("cross-site") && (mode == null || !mode.getValue().equals("navigate"))) {
            return "requests from other web pages are refused (a cross-site " + (mode == null ? "request" : mode.getValue()
                    + " request") + ")";
        }
        return null;
    }

    /** The host name of a Host header value or address, lower case, without port or IPv6 brackets. */
    static String hostOnly(String hostPort) {
        String s = hostPort.strip().toLowerCase(Locale.ROOT);
        if (s.startsWith("[")) {
            int end = s.indexOf(']');
            return end < 0 ? s : s.substring(1, end);
        }
        int colon = s.indexOf(':');
        if (colon >= 0 && s.indexOf(':', colon + 1) < 0) {
            return s.substring(0, colon); // host:port (an IPv6 literal has several colons and no port here)
        }
        if (s.endsWith(".")) {
            s = s.substring(0, s.length() - 1); // "localhost." is localhost
        }
        return s;
    }

    private static String normaliseOrigin(String origin) {
        String o = origin.strip().toLowerCase(Locale.ROOT);
        try {
            URI u = new URI(o);
            if (u.getScheme() != null && u.getHost() != null) {
                int port = u.getPort();
                boolean defaultPort = port < 0 || (u.getScheme().equals("http") && port == 80)
                        || (u.getScheme().equals("https") && port == 443);
                return u.getScheme() + "://" + u.getHost() + (defaultPort ? "" : ":" + port);
            }
        } catch (java.net.URISyntaxException e) {
            // compared as it is
        }
        return o.endsWith("/") ? o.substring(0, o.length() - 1) : o;
    }

    /** At most 100 printable characters of a header, for a message. */
    private static String printable(String s) {
        String p = s.replaceAll("[^\\x20-\\x7e]", "?");
        return p.length() > 100 ? p.substring(0, 100) + "..." : p;
    }

    private static Set<String> interfaceAddresses() {
        Set<String> out = new HashSet<>();
        try {
            for (NetworkInterface ni : Collections.list(NetworkInterface.getNetworkInterfaces())) {
                for (InetAddress a : Collections.list(ni.getInetAddresses())) {
                    String h = a.getHostAddress();
                    int zone = h.indexOf('%');
                    out.add((zone >= 0 ? h.substring(0, zone) : h).toLowerCase(Locale.ROOT));
                }
            }
        } catch (SocketException e) {
            // no interface list: the loopback names and the user's remain
        }
        return out;
    }
}
