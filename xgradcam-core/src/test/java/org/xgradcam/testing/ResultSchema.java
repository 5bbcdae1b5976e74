package org.xgradcam.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import java.util.List;

/** The one result schema (org/xgradcam/pipeline/result.schema.json), for every front end's tests. */
public final class ResultSchema {
    private ResultSchema() {}

    private static final Schema SCHEMA = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12)
            .getSchema(ResultSchema.class.getResourceAsStream("/org/xgradcam/pipeline/result.schema.json"));

    /** What is wrong with a result against the schema (empty when it conforms). */
    public static List<String> problems(JsonNode result) {
        return SCHEMA.validate(result).stream().map(Object::toString).toList();
    }
}
