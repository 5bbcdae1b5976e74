package org.xgradcam.spark;

import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * {@code java -jar xgradcam-spark.jar}: under spark-submit Spark is on the class path already;
 * run alone, the jar takes Spark from the {@code lib/} folder the build puts next to it. (No Spark
 * type appears here, so this class loads without Spark.)
 */
public final class Launcher {
    private Launcher() {}

    public static void main(String[] args) throws Exception {
        if (present("org.apache.spark.sql.SparkSession", Launcher.class.getClassLoader())) {
            System.exit(XGradCamSparkJob.run(args));
        }
        Path jar = Path.of(Launcher.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        Path lib = jar.resolveSibling("lib");
        if (!Files.isDirectory(lib)) {
            System.err.println("xgradcam-spark: error: Apache Spark is not on the class path: run the jar with spark-submit,"
                    + " or keep the lib/ folder the build wrote next to " + jar);
            System.exit(1);
        }
        List<URL> urls = new ArrayList<>(List.of(jar.toUri().toURL()));
        try (Stream<Path> jars = Files.list(lib)) {
            for (Path p : jars.filter(p -> p.toString().endsWith(".jar")).sorted().toList()) {
                urls.add(p.toUri().toURL());
            }
        }
        URLClassLoader loader = new URLClassLoader(urls.toArray(new URL[0]), ClassLoader.getPlatformClassLoader());
        Thread.currentThread().setContextClassLoader(loader);
        Object rc = loader.loadClass("org.xgradcam.spark.XGradCamSparkJob").getMethod("run", String[].class)
                .invoke(null, (Object) args);
        System.exit((Integer) rc);
    }

    private static boolean present(String name, ClassLoader loader) {
        try {
            Class.forName(name, false, loader);
            return true;
        } catch (ClassNotFoundException e) {
            return false;
        }
    }
}
