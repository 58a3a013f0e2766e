/* SPDX-License-Identifier: Apache-2.0 */
/* The built-in tools, in the order tools/list shows them. */
#include "proxy/tool.h"

#include <string.h>

static const struct nc_tool *const all[] = {
    &nc_tool_read, &nc_tool_write,      &nc_tool_edit,      &nc_tool_glob,
    &nc_tool_grep, &nc_tool_run,        &nc_tool_git_commit, &nc_tool_web_fetch,
    &nc_tool_web_search, &nc_tool_git_push, &nc_tool_create_pr,
};

const struct nc_tool *const *nc_tools_all(size_t *count)
{
    *count = sizeof(all) / sizeof(all[0]);
    return all;
}

const struct nc_tool *nc_tool_find(const char *name)
{
    if (name == NULL)
        return NULL;
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
        if (strcmp(all[i]->name, name) == 0)
            return all[i];
    return NULL;
}
