package io.votequorum;

import static com.tngtech.archunit.base.DescribedPredicate.not;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAnyPackage;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.type;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import io.fabric8.kubernetes.client.CustomResource;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The layering the design rests on, checked on the compiled classes: the pure packages (fencing
 * decisions, policy checks, the corosync binding, the CRD model) know nothing of the Kubernetes
 * client, the operator SDK or Quarkus, so they stay testable without any of them.
 */
class LayeringTest {

    private static final String[] FRAMEWORKS = {
        "io.fabric8.kubernetes.client..",
        "io.javaoperatorsdk..",
        "io.quarkus..",
        "io.quarkiverse..",
        "jakarta.enterprise..",
        "jakarta.inject.."
    };

    private static JavaClasses classes;

    @BeforeAll
    static void importClasses() {
        classes = new ClassFileImporter()
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("io.votequorum");
    }

    @Test
    void pureDecisionsAndTheBindingUseNoKubernetesClientSdkOrQuarkus() {
        ArchRule rule = noClasses()
                .that()
                .resideInAnyPackage(
                        "io.votequorum.fencing..",
                        "io.votequorum.policy..",
                        "io.votequorum.device..",
                        "io.votequorum.corosync..",
                        "io.votequorum.pacemaker..")
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage(FRAMEWORKS)
                .because("the decisions and the binding are pure and unit-tested without a cluster");
        rule.check(classes);
    }

    @Test
    void theModelUsesOnlyTheClientsCustomResourceBaseClass() {
        ArchRule rule = noClasses()
                .that()
                .resideInAPackage("io.votequorum.model..")
                .should()
                .dependOnClassesThat(resideInAnyPackage(FRAMEWORKS).and(not(type(CustomResource.class))))
                .because(
                        "the model is data: fabric8's model classes and annotations, and CustomResource as the base of a custom resource");
        rule.check(classes);
    }

    @Test
    void theBindingKnowsNothingOfTheModel() {
        noClasses()
                .that()
                .resideInAPackage("io.votequorum.corosync..")
                .should()
                .dependOnClassesThat()
                .resideInAPackage("io.votequorum.model..")
                .because("the binding speaks corosync's terms only")
                .check(classes);
    }

    @Test
    void theAgentDoesNotDependOnTheStatusCommand() {
        noClasses()
                .that()
                .resideInAPackage("io.votequorum.agent..")
                .should()
                .dependOnClassesThat()
                .resideInAPackage("io.votequorum.status..")
                .because("the status CLI uses the agent's mapping, not the reverse")
                .check(classes);
    }
}
