package org.xgradcam.cli;

import org.xgradcam.models.Catalogue;
import org.xgradcam.models.ModelCache;

import java.util.concurrent.Callable;
import org.xgradcam.XGradCamException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/** The model catalogue: list, and fetch ahead of use. */
@Command(name = "models", description = "List the models known by name, or fetch one: 'xgradcam models fetch vgg16'.")
public class ModelsCommand implements Callable<Integer> {
    @Mixin
    CacheOptions common = new CacheOptions();

    @Parameters(arity = "0..2", paramLabel = "fetch NAME", description = "fetch NAME: download a model into the cache.")
    java.util.List<String> args = new java.util.ArrayList<>();

    @Override
    public Integer call() {
        ModelCache cache = common.cache();
        if (!args.isEmpty()) {
            if (!args.get(0).equals("fetch") || args.size() != 2) {
                throw new XGradCamException("usage: xgradcam models [fetch NAME]");
            }
            Catalogue.Entry e = Catalogue.find(args.get(1)).orElseThrow(() ->
                    new XGradCamException("unknown model '" + args.get(1) + "'; see 'xgradcam models'"));
            System.out.println(cache.fetch(e));
            return 0;
        }
        System.out.printf("%-20s %-10s %s%n", "name", "size", "where / notes");
        System.out.printf("%-20s %-10s %s%n", DemoModel.NAME, "embedded", "shapes on textured backgrounds, 96x96 (the default, offline)");
        System.out.printf("%-20s %-10s %s%n", DemoModel.DETECTOR, "embedded", "a YOLO-style detector of the same shapes, 96x96 (offline)");
        for (Catalogue.Entry e : Catalogue.entries()) {
            String where = cache.isCached(e) ? cache.pathOf(e).toString() : "not downloaded (fetched on first use)";
            System.out.printf("%-20s %-10s %s%n                                %s%n", e.name(),
                    String.format("%.0f MB", e.bytes() / 1e6), where, e.notes());
        }
        return 0;
    }
}
