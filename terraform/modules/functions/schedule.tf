# ROTATION_SCHEDULE from secret_ttl, computed exactly as `handler schedule
# --ttl` computes it (internal/rotation): the timer fires at 80 % of the token
# lifetime, rounded down to a period that NCRONTAB can express evenly.
#
#   interval = max(floor(ttl * 4 / 5), 60)   (integer arithmetic, no 0.8 float)
#   nice     = the largest period <= interval from schedule_periods
#   nice < 1 h  -> "0 */M * * * *"   (M = nice / 60)
#   nice < 1 d  -> "0 0 */H * * *"   (H = nice / 3600)
#   otherwise   -> "0 0 0 * * *"     (daily at midnight)
#
# The periods are every minute count that divides 60 and every hour count that
# divides 24, so an interval that is already such a period is used as is.
# internal/infra's tests evaluate these locals for a table of TTLs.
locals {
  schedule_periods  = [60, 120, 180, 240, 300, 360, 600, 720, 900, 1200, 1800, 3600, 7200, 10800, 14400, 21600, 28800, 43200, 86400]
  schedule_interval = max(floor(var.secret_ttl * 4 / 5), 60)
  schedule_period   = max([for p in local.schedule_periods : p if p <= local.schedule_interval]...)
  rotation_schedule = (
    local.schedule_period < 3600 ? format("0 */%d * * * *", local.schedule_period / 60) :
    local.schedule_period < 86400 ? format("0 0 */%d * * *", local.schedule_period / 3600) :
    "0 0 0 * * *"
  )
}
