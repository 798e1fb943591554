/* SPDX-License-Identifier: Apache-2.0 */
/* One <datasource> of repository/conf/datasources/master-datasources.xml. */
#pragma once

#include <glib.h>

typedef struct {
	char *name;		    /* datasource/name, e.g. WSO2AM_DB */
	char *description;	    /* datasource/description */
	char *jndi_name;	    /* datasource/jndiConfig/name, e.g. jdbc/WSO2AM_DB */
	char *url;		    /* definition/configuration/url (JDBC URL) */
	char *username;		    /* definition/configuration/username */
	char *password;		    /* definition/configuration/password (secret) */
	char *driver_class;	    /* definition/configuration/driverClassName (informative) */
	int max_active;		    /* definition/configuration/maxActive, default 50 */
	int max_wait_ms;	    /* definition/configuration/maxWait, default 60000 */
	gboolean test_on_borrow;    /* definition/configuration/testOnBorrow, default true */
	char *validation_query;	    /* definition/configuration/validationQuery, default SELECT 1 */
	int validation_interval_ms; /* definition/configuration/validationInterval, default 30000 */
	gboolean default_auto_commit; /* definition/configuration/defaultAutoCommit */
} AmDatasourceConf;
