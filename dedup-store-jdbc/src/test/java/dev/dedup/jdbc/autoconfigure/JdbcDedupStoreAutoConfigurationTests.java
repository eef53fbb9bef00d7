package dev.dedup.jdbc.autoconfigure;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.UUID;

import javax.sql.DataSource;

import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.jdbc.core.JdbcTemplate;

import dev.dedup.core.autoconfigure.DedupAutoConfiguration;
import dev.dedup.core.store.DedupStore;
import dev.dedup.core.store.InMemoryDedupStore;
import dev.dedup.jdbc.JdbcDedupPurger;
import dev.dedup.jdbc.JdbcDedupStore;
import dev.dedup.jdbc.JdbcDialect;
import dev.dedup.test.services.TestPostgres;

import static dev.dedup.core.store.ClaimOutcome.ACQUIRED;
import static dev.dedup.core.store.ClaimOutcome.DUPLICATE;
import static org.assertj.core.api.Assertions.assertThat;

class JdbcDedupStoreAutoConfigurationTests {

	private final ApplicationContextRunner runner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(DataSourceAutoConfiguration.class,
				JdbcDedupStoreAutoConfiguration.class, DedupAutoConfiguration.class))
		.withPropertyValues("spring.datasource.url=jdbc:h2:mem:autoconfig-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1");

	@Test
	void dedupStoreJdbcCreatesTheStoreAndMigratesTheTableIntoItsOwnHistory() {
		this.runner.withPropertyValues("dedup.store=jdbc").run(context -> {
			assertThat(context).hasSingleBean(JdbcDedupStore.class).hasSingleBean(JdbcDedupPurger.class);
			JdbcDedupStore store = context.getBean(JdbcDedupStore.class);
			assertThat(store.dialect()).isEqualTo(JdbcDialect.H2);
			assertThat(store.table().value()).isEqualTo("dedup_record");
			assertThat(store.joinsCurrentTransaction()).isFalse();
			assertThat(context.getBean(JdbcDedupPurger.class).isRunning()).isTrue();
			JdbcTemplate jdbc = new JdbcTemplate(context.getBean(DataSource.class));
			assertThat(jdbc.queryForObject("SELECT \"version\" FROM \"dedup_record_schema_history\" WHERE "
					+ "\"success\" AND \"type\" = 'SQL'", String.class)).isEqualTo("1");
			assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM INFORMATION_SCHEMA.TABLES WHERE TABLE_NAME = "
					+ "'flyway_schema_history'", Integer.class)).as("the application's own Flyway table").isZero();
			assertThat(store.claim("k", "a", Duration.ofSeconds(5)).outcome()).isEqualTo(ACQUIRED);
			assertThat(store.complete("k", "a", Duration.ofSeconds(5), null)).isTrue();
			assertThat(store.claim("k", "b", Duration.ofSeconds(5)).outcome()).isEqualTo(DUPLICATE);
		});
	}

	@Test
	void theTableNameIsConfigurableAndMigratedUnderThatName() {
		this.runner.withPropertyValues("dedup.store=jdbc", "dedup.jdbc.table-name=billing_dedup").run(context -> {
			JdbcTemplate jdbc = new JdbcTemplate(context.getBean(DataSource.class));
			assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM billing_dedup", Integer.class)).isZero();
			assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM \"billing_dedup_schema_history\"", Integer.class))
				.isEqualTo(2);
		});
	}

	@Test
	void aTableNameCarryingSqlFailsAtStartup() {
		for (String bad : new String[] { "dedup; DROP TABLE users", "dedup_record--", "a.b", "\"quoted\"", "1abc",
				"x".repeat(49) }) {
			this.runner.withPropertyValues("dedup.store=jdbc", "dedup.jdbc.table-name=" + bad)
				.run(context -> assertThat(context).hasFailed()
					.getFailure()
					.rootCause()
					.isInstanceOf(IllegalArgumentException.class)
					.hasMessageContaining("dedup.jdbc.table-name"));
		}
	}

	@Test
	void migrateFalseSkipsFlywayEntirely() {
		this.runner.withPropertyValues("dedup.store=jdbc", "dedup.jdbc.migrate=false").run(context -> {
			assertThat(context).hasSingleBean(JdbcDedupStore.class);
			JdbcTemplate jdbc = new JdbcTemplate(context.getBean(DataSource.class));
			assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM INFORMATION_SCHEMA.TABLES WHERE TABLE_SCHEMA = "
					+ "'PUBLIC'", Integer.class)).as("neither the table nor a history table").isZero();
		});
	}

	@Test
	void purgeAndTransactionalModeFollowTheirSwitches() {
		this.runner
			.withPropertyValues("dedup.store=jdbc", "dedup.jdbc.purge.enabled=false", "dedup.jdbc.transactional=false",
					"dedup.jdbc.dialect=h2")
			.run(context -> {
				assertThat(context).hasSingleBean(JdbcDedupStore.class).doesNotHaveBean(JdbcDedupPurger.class);
				assertThat(context.getBean(JdbcDedupStore.class).toString()).doesNotContain("transactional");
			});
	}

	@Test
	void detectsPostgresqlAndMigratesThere() {
		String table = "dd_autoconfig_" + UUID.randomUUID().toString().substring(0, 8);
		new ApplicationContextRunner()
			.withConfiguration(AutoConfigurations.of(DataSourceAutoConfiguration.class,
					JdbcDedupStoreAutoConfiguration.class, DedupAutoConfiguration.class))
			.withPropertyValues("spring.datasource.url=" + TestPostgres.get().jdbcUrl(), "dedup.store=jdbc",
					"dedup.jdbc.table-name=" + table)
			.run(context -> {
				JdbcDedupStore store = context.getBean(JdbcDedupStore.class);
				JdbcTemplate jdbc = new JdbcTemplate(context.getBean(DataSource.class));
				try {
					assertThat(store.dialect()).isEqualTo(JdbcDialect.POSTGRESQL);
					assertThat(store.claim("k", "a", Duration.ofSeconds(5)).outcome()).isEqualTo(ACQUIRED);
				}
				finally {
					jdbc.execute("DROP TABLE IF EXISTS " + table);
					jdbc.execute("DROP TABLE IF EXISTS " + table + "_schema_history");
				}
			});
	}

	@Test
	void backsOffWhenTheUserDefinesADedupStore() {
		this.runner.withPropertyValues("dedup.store=jdbc")
			.withUserConfiguration(UserStoreConfiguration.class)
			.run(context -> assertThat(context).hasSingleBean(DedupStore.class)
				.doesNotHaveBean(JdbcDedupStore.class)
				.doesNotHaveBean(JdbcDedupPurger.class)
				.getBean(DedupStore.class)
				.isInstanceOf(InMemoryDedupStore.class));
	}

	@Test
	void isUsedOnlyWhenChosenEvenWithADataSource() {
		this.runner.run(context -> assertThat(context).doesNotHaveBean(JdbcDedupStore.class)
			.getBean(DedupStore.class)
			.isInstanceOf(InMemoryDedupStore.class));
		this.runner.withPropertyValues("dedup.store=memory")
			.run(context -> assertThat(context).doesNotHaveBean(JdbcDedupStore.class)
				.getBean(DedupStore.class)
				.isInstanceOf(InMemoryDedupStore.class));
	}

	@Test
	void withoutADataSourceTheCoreFallbackNamesWhatIsMissing() {
		new ApplicationContextRunner()
			.withConfiguration(AutoConfigurations.of(JdbcDedupStoreAutoConfiguration.class, DedupAutoConfiguration.class))
			.withPropertyValues("dedup.store=jdbc")
			.run(context -> assertThat(context).hasFailed()
				.getFailure()
				.rootCause()
				.hasMessageContaining("dedup-store-jdbc")
				.hasMessageContaining("spring.datasource"));
	}

	@Test
	void isRegisteredAndDescribedInConfigurationMetadata() throws Exception {
		ClassLoader loader = getClass().getClassLoader();
		try (InputStream imports = loader.getResourceAsStream(
				"META-INF/spring/org.springframework.boot.autoconfigure.AutoConfiguration.imports")) {
			assertThat(new String(imports.readAllBytes(), StandardCharsets.UTF_8))
				.contains(JdbcDedupStoreAutoConfiguration.class.getName());
		}
		String metadata = new String(loader.getResource("META-INF/spring-configuration-metadata.json")
			.openStream()
			.readAllBytes(), StandardCharsets.UTF_8);
		assertThat(metadata).contains("\"dedup.jdbc.table-name\"", "\"dedup.jdbc.migrate\"",
				"\"dedup.jdbc.transactional\"", "\"dedup.jdbc.dialect\"", "\"dedup.jdbc.purge.enabled\"",
				"\"dedup.jdbc.purge.interval\"", "\"dedup.jdbc.purge.batch-size\"");
	}

	@Configuration(proxyBeanMethods = false)
	static class UserStoreConfiguration {

		@Bean
		DedupStore userDedupStore() {
			return new InMemoryDedupStore();
		}

	}

}
