package org.xgradcam.cli;

import java.nio.file.Path;
import org.xgradcam.models.ModelCache;
import picocli.CommandLine.Option;

/** Where models are kept, and whether progress is shown: for every command that may download one. */
public class CacheOptions {
    @Option(names = "--cache-dir", paramLabel = "DIR", description = "Where downloaded models are kept (default: $XGRADCAM_CACHE or ~/.cache/xgradcam).")
    Path cacheDir;

    @Option(names = "--quiet", description = "No progress bars.")
    boolean quiet;

    ModelCache cache() {
        return new ModelCache(cacheDir != null ? cacheDir : ModelCache.defaultDir(), new Progress(System.err, !quiet));
    }
}
