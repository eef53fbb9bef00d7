package dev.dedup.jdbc.autoconfigure;

import javax.sql.DataSource;

import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnSingleCandidate;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.jdbc.datasource.DataSourceUtils;

import dev.dedup.core.autoconfigure.DedupProperties;
import dev.dedup.core.store.DedupStore;
import dev.dedup.jdbc.JdbcDedupMigrations;
import dev.dedup.jdbc.JdbcDedupPurger;
import dev.dedup.jdbc.JdbcDedupStore;
import dev.dedup.jdbc.JdbcDialect;
import dev.dedup.jdbc.TableName;

/**
 * Makes a {@link JdbcDedupStore} on the application's DataSource when {@code dedup.store=jdbc} (never by
 * default: an application with a DataSource does not necessarily want its dedup keys there), applies the
 * table's migrations first unless {@code dedup.jdbc.migrate=false}, and schedules the purge. Backs off when
 * the user defines a {@link DedupStore}. Runs after Boot's DataSource auto-configuration and before dedup's
 * core auto-configuration, which would otherwise fail for {@code dedup.store=jdbc}.
 */
@AutoConfiguration(afterName = "org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration",
		beforeName = "dev.dedup.core.autoconfigure.DedupAutoConfiguration")
@ConditionalOnClass({ DataSource.class, DataSourceUtils.class })
@ConditionalOnSingleCandidate(DataSource.class)
@ConditionalOnProperty(name = "dedup.store", havingValue = "jdbc")
@EnableConfigurationProperties({ JdbcDedupProperties.class, DedupProperties.class })
public final class JdbcDedupStoreAutoConfiguration {

	@Bean
	@ConditionalOnMissingBean(DedupStore.class)
	JdbcDedupStore dedupStore(DataSource dataSource, JdbcDedupProperties properties, DedupProperties dedup) {
		TableName table = TableName.of(properties.getTableName());
		JdbcDialect dialect = properties.getDialect() != null ? properties.getDialect()
				: JdbcDialect.detect(dataSource);
		if (properties.isMigrate()) {
			JdbcDedupMigrations.migrate(dataSource, dialect, table);
		}
		return new JdbcDedupStore(dataSource, dialect, table, properties.isTransactional(), dedup.getStoreTimeout());
	}

	@Bean(initMethod = "start", destroyMethod = "close")
	@ConditionalOnBean(JdbcDedupStore.class)
	@ConditionalOnMissingBean
	@ConditionalOnProperty(name = "dedup.jdbc.purge.enabled", havingValue = "true", matchIfMissing = true)
	JdbcDedupPurger dedupJdbcPurger(JdbcDedupStore store, JdbcDedupProperties properties) {
		return new JdbcDedupPurger(store, properties.getPurge().getInterval(), properties.getPurge().getBatchSize());
	}

}
