package org.xgradcam.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.xgradcam.XGradCamException;
import org.xgradcam.models.ModelSpec;
import org.xgradcam.serve.ViewerServer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The interactive viewer and JSON API: a local web server until interrupted. */
@Command(name = "serve", description = "Serve the interactive viewer and the JSON API (http://127.0.0.1:8080 by default; see docs/serve.md).")
public class ServeCommand implements Callable<Integer> {
    @Option(names = {"--model", "--models"}, split = ",", paramLabel = "NAME|FILE", description = "Models to serve besides the"
            + " embedded demos (shapes and shapes-detector, always served): catalogue names or model files (repeatable).")
    List<String> modelNames = List.of();

    @Option(names = "--models-dir", paramLabel = "DIR", description = "Also serve every model file (ONNX) in this folder, by file name.")
    Path modelsDir;

    @Option(names = "--port", paramLabel = "P", description = "Port (default 8080; 0 picks a free one).")
    int port = 8080;

    @Option(names = "--host", paramLabel = "H", description = "Address to bind (default 127.0.0.1: this machine only).")
    String host = "127.0.0.1";

    @Option(names = "--max-upload-mb", paramLabel = "MB", description = "Largest upload accepted (default 20).")
    int maxUploadMb = 20;

    @Option(names = "--allow-host", paramLabel = "NAME", description = "Also answer requests addressed to this host name"
            + " (repeatable; '*' for any): for a LAN name or a reverse proxy. By default only the bound address and"
            + " localhost are answered, which keeps web pages from reaching the server through DNS rebinding.")
    List<String> allowHosts = List.of();

    @Option(names = "--allow-origin", paramLabel = "URL", description = "Let web pages from this origin"
            + " (scheme://host[:port]) call the API (repeatable). By default only the viewer's own page may.")
    List<String> allowOrigins = List.of();

    @Override
    public Integer call() throws Exception {
        org.xgradcam.validation.Check.range("--port", port, 0, 65535);
        org.xgradcam.validation.Check.range("--max-upload-mb", maxUploadMb, 1, 1024);
        Map<String, ModelSpec> models = new LinkedHashMap<>();
        models.put(ModelSpec.DEMO, ModelSpec.demo());
        models.put(ModelSpec.DEMO_DETECTOR, ModelSpec.demoDetector());
        org.xgradcam.models.ModelCache cache = new org.xgradcam.models.ModelCache();
        for (String m : modelNames) {
            ModelSpec spec = ModelSpec.resolve(m, cache);
            models.put(Path.of(m).getFileName().toString().replaceAll("\\.onnx$", ""), spec);
        }
        if (modelsDir != null) {
            if (!Files.isDirectory(modelsDir)) {
                throw new XGradCamException("--models-dir " + modelsDir + " is not a folder");
            }
            try (var s = Files.list(modelsDir)) {
                for (Path p : s.filter(p -> p.toString().endsWith(".onnx")).sorted().toList()) {
                    models.put(p.getFileName().toString().replaceAll("\\.onnx$", ""), ModelSpec.ofFile(p));
                }
            }
        }
        try (ViewerServer server = ViewerServer.start(models, ViewerServer.Limits.defaults().withHost(host).withPort(port)
                .withMaxUpload((long) maxUploadMb << 20).withAllowed(java.util.Set.copyOf(allowHosts),
                        java.util.Set.copyOf(allowOrigins)))) {
            System.out.println("xgradcam: serving " + String.join(", ", models.keySet()) + " at http://" + host + ":"
                    + server.port() + "/ (Ctrl-C stops)");
            CountDownLatch stop = new CountDownLatch(1);
            Runtime.getRuntime().addShutdownHook(new Thread(stop::countDown));
            stop.await();
        }
        return 0;
    }
}
