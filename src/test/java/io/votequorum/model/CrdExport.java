package io.votequorum.model;

import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceColumnDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * Copies the CRDs that the build generates from the model into {@code crds/}, one file per kind.
 * The generator sorts printer columns by JSON path; this puts them back in the order the model
 * declares them, so that {@code kubectl get} reads NAME, the columns, then AGE.
 */
public final class CrdExport {

    static final List<Class<? extends CustomResource<?, ?>>> KINDS =
            List.of(QuorumStatus.class, VoteQuorumPolicy.class);

    private CrdExport() {}

    public static void main(String[] args) throws IOException {
        if (args.length != 2) {
            throw new IllegalArgumentException("usage: CrdExport GENERATED_DIR OUTPUT_DIR");
        }
        Path generated = Path.of(args[0]);
        Path output = Path.of(args[1]);
        Files.createDirectories(output);
        for (Class<? extends CustomResource<?, ?>> kind : KINDS) {
            Path source = generated.resolve(crdName(kind) + "-v1.yml");
            if (!Files.exists(source)) {
                throw new IllegalStateException(source + " is missing: run `mvn package` first");
            }
            CustomResourceDefinition crd;
            try (InputStream in = Files.newInputStream(source)) {
                crd = Serialization.unmarshal(in, CustomResourceDefinition.class);
            }
            crd.getSpec()
                    .getVersions()
                    .forEach(v -> v.setAdditionalPrinterColumns(declaredOrder(kind, v.getAdditionalPrinterColumns())));
            Path target = output.resolve(crdName(kind) + ".yaml");
            Files.writeString(
                    target,
                    "# Generated from " + kind.getName() + " by `make crds`. Do not edit.\n"
                            + Serialization.asYaml(crd));
            System.out.println("wrote " + target);
        }
    }

    static String crdName(Class<? extends HasMetadata> kind) {
        return HasMetadata.getFullResourceName(kind);
    }

    static List<CustomResourceColumnDefinition> declaredOrder(
            Class<?> kind, List<CustomResourceColumnDefinition> columns) {
        List<String> declared = Arrays.stream(kind.getAnnotationsByType(AdditionalPrinterColumn.class))
                .map(AdditionalPrinterColumn::jsonPath)
                .toList();
        return columns.stream()
                .sorted(Comparator.comparingInt(c -> {
                    int index = declared.indexOf(c.getJsonPath());
                    return index < 0 ? Integer.MAX_VALUE : index;
                }))
                .toList();
    }
}
